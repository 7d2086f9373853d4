/*
   chainwatch built-in rules for the 3CX supply chain compromise (2023).
   Written for chainwatch from public facts (Elastic, Volexity, Sophos, RL, SigFlip source); no third-party rule text.
*/
import "pe"

rule CW_SigFlip_Tag_In_Certificate_Table
{
    meta:
        description = "SigFlip tag FE ED FA CE FE ED FA CE inside the Authenticode certificate table of a PE (data hidden in a signed file, as in 3CX d3dcompiler_47.dll and the X_TRADER chain)"
        author = "chainwatch"
        campaign = "3cx"
        reference = "https://www.elastic.co/security-labs/elastic-users-protected-from-suddenicon-supply-chain-attack"
        score = 90
    strings:
        $tag = { FE ED FA CE FE ED FA CE }
    condition:
        pe.is_pe
        and pe.data_directories[pe.IMAGE_DIRECTORY_ENTRY_SECURITY].size > 0
        and $tag in (pe.data_directories[pe.IMAGE_DIRECTORY_ENTRY_SECURITY].virtual_address ..
                     pe.data_directories[pe.IMAGE_DIRECTORY_ENTRY_SECURITY].virtual_address
                     + pe.data_directories[pe.IMAGE_DIRECTORY_ENTRY_SECURITY].size)
}

rule CW_3CX_RC4_Key
{
    meta:
        description = "static RC4 key 3jB(2bsG#@c7 used by the trojanized 3CX ffmpeg.dll to decrypt the payload in d3dcompiler_47.dll"
        author = "chainwatch"
        campaign = "3cx"
        reference = "https://www.elastic.co/security-labs/elastic-users-protected-from-suddenicon-supply-chain-attack"
        score = 90
    strings:
        $key = "3jB(2bsG#@c7" ascii wide
    condition:
        $key
}

rule CW_ICO_PNG_Dollar_Base64_Trailer
{
    meta:
        description = "ICO whose embedded PNG ends (IEND) and is followed by '$' and base64: the IconStorages C2 carrier of the 3CX ICONIC loader"
        author = "chainwatch"
        campaign = "3cx"
        reference = "https://www.volexity.com/blog/2023/03/30/3cx-supply-chain-compromise-leads-to-iconic-incident/"
        score = 85
    strings:
        $trailer = /IEND\xAEB`\x82\$[A-Za-z0-9+\/]{40}/
    condition:
        uint32(0) == 0x00010000 and $trailer
}

rule CW_3CX_IconStorages_URL
{
    meta:
        description = "format string of the GitHub ICO download used by the 3CX ICONIC loader"
        author = "chainwatch"
        campaign = "3cx"
        reference = "https://www.elastic.co/security-labs/elastic-users-protected-from-suddenicon-supply-chain-attack"
        score = 85
    strings:
        $u1 = "raw.githubusercontent.com/IconStorages/images/main/icon" ascii wide nocase
        $u2 = "IconStorages/images/main/icon%d.ico" ascii wide nocase
    condition:
        any of them
}

rule CW_3CX_Loader_Event_And_Cookie
{
    meta:
        description = "artifacts of the 3CX ffmpeg.dll / ICONIC payloads: AVMonitorRefreshEvent, __tutma/__tutmc cookies, 3cx_auth_token_content"
        author = "chainwatch"
        campaign = "3cx"
        reference = "https://www.volexity.com/blog/2023/03/30/3cx-supply-chain-compromise-leads-to-iconic-incident/"
        score = 80
    strings:
        $event = "AVMonitorRefreshEvent" ascii wide
        $c1 = "__tutma" ascii wide
        $c2 = "__tutmc" ascii wide
        $c3 = "3cx_auth_token_content" ascii wide
    condition:
        (uint16(0) == 0x5A4D or uint32(0) == 0xFEEDFACF or uint32(0) == 0xCFFAEDFE or uint32(0) == 0xBEBAFECA)
        and ($event or 2 of ($c*))
}

rule CW_3CX_macOS_Xor7A_Strings
{
    meta:
        description = "3CX macOS libffmpeg.dylib strings XOR-encoded with 0x7a"
        author = "chainwatch"
        campaign = "3cx"
        reference = "https://www.volexity.com/blog/2023/03/30/3cx-supply-chain-compromise-leads-to-iconic-incident/"
        score = 85
    strings:
        $x1 = ";3cx_auth_token_content=%s;__tutma=" xor(0x7a)
        $x2 = "/System/Library/CoreServices/SystemVersion.plist" xor(0x7a)
        $x3 = "Chrome/108.0.5359.128 Safari/537.36" xor(0x7a)
    condition:
        2 of them
}
