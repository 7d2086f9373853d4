/* chainwatch built-in rules for xz-utils CVE-2024-3094 (oss-security facts); written for chainwatch. */
rule CW_XZ_Build_To_Host_Payload_Extraction
{
    meta:
        description = "build script that pulls a payload out of the xz test files (bad-3-corrupt_lzma2.xz / good-large_compressed.lzma) as the backdoored xz 5.6.0/5.6.1 build-to-host.m4 did"
        author = "chainwatch"
        campaign = "xz_utils"
        reference = "https://www.openwall.com/lists/oss-security/2024/03/29/4"
        score = 80
    strings:
        $f1 = "bad-3-corrupt_lzma2.xz"
        $f2 = "good-large_compressed.lzma"
        $t1 = "tail -c +31265"
        $e1 = "eval"
        $x1 = "| tr "
    condition:
        filesize < 2MB and uint16(0) != 0x5A4D and uint32(0) != 0x464C457F
        and ($t1 or (any of ($f*) and $e1 and $x1))
}
