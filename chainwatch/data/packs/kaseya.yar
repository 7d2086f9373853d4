/* chainwatch built-in rules for the Kaseya VSA / REvil procedure (Fortinet/Expel facts); written for chainwatch. */
rule CW_Kaseya_REvil_Kworking_Procedure
{
    meta:
        description = "script or log with the fake Kaseya VSA hot-fix: certutil decoding kworking\\agent.crt into agent.exe"
        author = "chainwatch"
        campaign = "kaseya"
        score = 85
    strings:
        $crt = "kworking\\agent.crt" ascii wide nocase
        $exe = "kworking\\agent.exe" ascii wide nocase
        $cu = "certutil" ascii wide nocase
    condition:
        filesize < 5MB and $cu and ($crt or $exe)
}
