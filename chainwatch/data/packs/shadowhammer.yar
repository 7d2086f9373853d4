/* chainwatch built-in rules for ASUS ShadowHammer (Kaspersky facts); written for chainwatch. */
rule CW_ShadowHammer_PDB_Path
{
    meta:
        description = "PDB path \\AsusShellCode\\Release of ShadowHammer-related tools"
        author = "chainwatch"
        campaign = "shadowhammer"
        reference = "https://securelist.com/operation-shadowhammer/89992/"
        score = 80
    strings:
        $pdb = "\\AsusShellCode\\Release" ascii wide nocase
    condition:
        uint16(0) == 0x5A4D and $pdb
}
