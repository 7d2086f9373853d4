// chainwatch capability rules: executable memory and shellcode loading.
// Written for chainwatch from public API documentation; not derived from any third-party rule set.
// Meta keys read by chainwatch: capability (id), name, attack (ATT&CK technique), common (bool).

rule exec_memory_api
{
    meta:
        capability = "exec-memory"
        name = "allocates or re-protects memory as executable"
        attack = "T1620"
        common = true
    strings:
        $win1 = "VirtualProtect" ascii wide
        $win2 = "VirtualAlloc" ascii wide
        $win3 = "NtProtectVirtualMemory" ascii wide
        $win4 = "NtAllocateVirtualMemory" ascii wide
        // x64: mov r8d/r9d, PAGE_EXECUTE_READWRITE (0x40) or PAGE_EXECUTE_READ (0x20), then call [rip+IAT]
        $x64_rwx = { 41 (B8 | B9) (40 | 20) 00 00 00 [0-24] FF 15 }
        // x86: push PAGE_EXECUTE_READWRITE, then call [IAT]
        $x86_rwx = { 6A 40 [0-16] FF 15 }
    condition:
        any of ($win*) and any of ($x64_rwx, $x86_rwx)
}

rule exec_memory_posix
{
    meta:
        capability = "exec-memory"
        name = "maps or re-protects memory as executable"
        attack = "T1620"
        common = true
    strings:
        $mprotect = "mprotect" ascii
        $mmap = "mmap" ascii
        // mov edx, PROT_READ|PROT_WRITE|PROT_EXEC (7) or PROT_READ|PROT_EXEC (5) right before a call
        $prot_exec = { BA (07 | 05) 00 00 00 [0-12] E8 }
    condition:
        ($mprotect or $mmap) and $prot_exec
}

rule payload_marker_search
{
    meta:
        capability = "payload-marker-search"
        name = "compares data against a 4-byte marker such as FE ED FA CE (SigFlip/3CX payload tag)"
        attack = "T1027.009"
        common = false
    strings:
        // cmp eax, imm32 / cmp dword [reg], imm32 / cmp dword [reg+disp8], imm32 with the tag bytes
        $cmp_eax = { 3D FE ED FA CE }
        $cmp_mem = { 81 (38 | 39 | 3A | 3B | 3E | 3F) FE ED FA CE }
        $cmp_disp = { 81 (78 | 79 | 7A | 7B | 7D | 7E | 7F) ?? FE ED FA CE }
        $cmp_r64 = { (41 | 48 | 49) 81 (F8 | F9 | FA | FB | FC | FD | FE | FF) FE ED FA CE }
        $cmp_r32 = { 81 (F9 | FA | FB | FE | FF) FE ED FA CE }
    condition:
        any of them
}

rule payload_from_sibling_file
{
    meta:
        capability = "payload-from-file"
        name = "opens a file next to itself and reads it whole (loader reading another file)"
        attack = "T1027.009"
        common = true
    strings:
        $path1 = "GetModuleFileName" ascii wide
        $open1 = "CreateFileW" ascii wide
        $open2 = "CreateFileA" ascii wide
        $read1 = "ReadFile" ascii wide
        $size1 = "GetFileSize" ascii wide
        $mz_cmp = { 66 81 3? 4D 5A }
    condition:
        $path1 and any of ($open*) and $read1 and ($size1 or $mz_cmp)
}
