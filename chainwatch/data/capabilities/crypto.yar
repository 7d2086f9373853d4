// chainwatch capability rules: decryption routines (constants and loop shapes).
// Written for chainwatch; constants come from the public algorithm specifications (FIPS-197, RC4).

rule aes_sbox
{
    meta:
        capability = "crypto-aes"
        name = "AES S-box constants"
        attack = "T1140"
        common = true
    strings:
        $sbox = { 63 7C 77 7B F2 6B 6F C5 30 01 67 2B FE D7 AB 76 }
        $inv_sbox = { 52 09 6A D5 30 36 A5 38 BF 40 A3 9E 81 F3 D7 FB }
    condition:
        any of them
}

rule rc4_ksa_loop
{
    meta:
        capability = "crypto-rc4"
        name = "RC4 key-scheduling loop (S[i] = i for i < 256, then swap with j mod 256)"
        attack = "T1140"
        common = true
    strings:
        // S[i] = i loop: mov byte [..], reg ; i += 1 ; cmp i, 0x100 (jl/jb/jne) or cmp i, 0xFF (jle/jbe)
        $init = { 88 [1-6] (FF C? | 40 | 41 | 83 C? 01 | 48 83 C? 01 | 48 FF C? | 83 45 ?? 01) [0-4] (3D | 48 3D | 81 F? | 48 81 F? | 81 7D ??) (00 01 | FF 00) 00 00 (7C | 72 | 75 | 7E | 76) }
        $rc4_name = "RC4" ascii fullword
        // j = (j + S[i] + key[i % len]) & 0xFF written as and reg, 0xFF
        $mod256 = { (25 | 81 E1 | 81 E2 | 81 E3 | 81 E6 | 81 E7) FF 00 00 00 }
    condition:
        $init and ($mod256 or $rc4_name)
}

rule xor_decode_loop
{
    meta:
        capability = "crypto-xor"
        name = "single-byte XOR decoding loop over a buffer"
        attack = "T1140"
        common = true
    strings:
        // xor byte [reg], imm8 (or [base+idx]) ; advance ; cmp ; short backward jb/jne/jl
        $xor_ptr = { 80 (30 | 31 | 32 | 33 | 36 | 37) ?? [0-8] (39 | 3B) ?? (72 | 75 | 7C) (E? | F?) }
        $xor_sib = { 80 34 ?? ?? [0-8] (39 | 3B | 83 F? ??) ?? (72 | 75 | 7C) (E? | F?) }
    condition:
        any of them
}
