/* chainwatch built-in rules for SolarWinds SUNBURST (FireEye facts); written for chainwatch. */
rule CW_SUNBURST_Backdoor_Class
{
    meta:
        description = "SolarWinds Orion DLL with the SUNBURST class OrionImprovementBusinessLayer"
        author = "chainwatch"
        campaign = "solarwinds"
        reference = "https://www.fireeye.com/blog/threat-research/2020/12/evasive-attacker-leverages-solarwinds-supply-chain-compromises-with-sunburst-backdoor.html"
        score = 95
    strings:
        $cls = "OrionImprovementBusinessLayer" ascii wide
        $dom = "avsvmcloud.com" ascii wide nocase
    condition:
        uint16(0) == 0x5A4D and any of them
}
