// chainwatch capability rules: injection, download-and-execute, credential theft, persistence,
// anti-analysis, long sleeps. Written for chainwatch from public API and file-format documentation.

rule process_injection
{
    meta:
        capability = "process-injection"
        name = "writes into another process and starts code there"
        attack = "T1055"
        common = false
    strings:
        $write = "WriteProcessMemory" ascii wide
        $thread1 = "CreateRemoteThread" ascii wide
        $thread2 = "NtCreateThreadEx" ascii wide
        $thread3 = "RtlCreateUserThread" ascii wide
        $apc1 = "QueueUserAPC" ascii wide
        $apc2 = "NtQueueApcThread" ascii wide
        $ctx = "SetThreadContext" ascii wide
        $map1 = "NtMapViewOfSection" ascii wide
        $map2 = "ZwMapViewOfSection" ascii wide
        $unmap = "NtUnmapViewOfSection" ascii wide
        $mach1 = "task_for_pid" ascii
        $mach2 = "mach_vm_write" ascii
        $mach3 = "thread_create_running" ascii
    condition:
        ($write and any of ($thread*, $apc*, $ctx)) or (any of ($map*) and $unmap) or all of ($mach*)
}

rule download_execute_api
{
    meta:
        capability = "download-execute"
        name = "downloads from the web and starts a process"
        attack = "T1105"
        common = true
    strings:
        $dl1 = "URLDownloadToFile" ascii wide
        $dl2 = "InternetOpenUrl" ascii wide
        $dl3 = "WinHttpOpenRequest" ascii wide
        $dl4 = "HttpSendRequest" ascii wide
        $ex1 = "CreateProcess" ascii wide
        $ex2 = "ShellExecute" ascii wide
        $ex3 = "WinExec" ascii wide
    condition:
        any of ($dl*) and any of ($ex*)
}

rule download_pipe_shell
{
    meta:
        capability = "download-execute-shell"
        name = "pipes a downloaded script into a shell or PowerShell"
        attack = "T1059"
        common = false
    strings:
        $curl_sh = /(curl|wget)[ \t][^\n|]{1,300}\|[ \t]*(sudo[ \t]+)?(ba|z|da)?sh\b/
        $ps_iex1 = /DownloadString\([^\n]{1,300}(IEX|Invoke-Expression)/ nocase
        $ps_iex2 = /(IEX|Invoke-Expression)[ \t]*\(?[ \t]*\(?New-Object[ \t]+Net\.WebClient/ nocase
    condition:
        any of them
}

rule browser_credentials
{
    meta:
        capability = "browser-credential-theft"
        name = "reads browser password, cookie or history stores"
        attack = "T1555.003"
        common = false
    strings:
        $chrome = "Google\\Chrome\\User Data" ascii wide nocase
        $chrome_mac = "Application Support/Google/Chrome" ascii wide
        $edge = "Microsoft\\Edge\\User Data" ascii wide nocase
        $brave = "BraveSoftware" ascii wide
        $firefox = "Mozilla\\Firefox\\Profiles" ascii wide nocase
        $firefox_mac = "Application Support/Firefox/Profiles" ascii wide
        $login_data = "Login Data" ascii wide
        $logins_json = "logins.json" ascii wide
        $key4 = "key4.db" ascii wide
        $local_state = "encrypted_key" ascii wide
        $sql_pw = "password_value FROM logins" ascii wide nocase
        $sql_hist = "SELECT url, title FROM urls" ascii wide nocase
        $moz_places = "moz_places" ascii wide
        $keychain = "login.keychain" ascii wide
        $keychain_cmd = "find-generic-password" ascii wide
    condition:
        2 of them
}

rule persistence_locations
{
    meta:
        capability = "persistence"
        name = "writes an autostart location (Run key, service, LaunchAgent, systemd unit, cron)"
        attack = "T1547"
        common = true
    strings:
        $run = "Software\\Microsoft\\Windows\\CurrentVersion\\Run" ascii wide nocase
        $service = "CreateService" ascii wide
        $schtasks = "schtasks" ascii wide nocase
        $launch_agents = "Library/LaunchAgents" ascii wide
        $launch_daemons = "Library/LaunchDaemons" ascii wide
        $run_at_load = "RunAtLoad" ascii wide
        $systemd = "/etc/systemd/system" ascii
        $systemctl = "systemctl enable" ascii
        $cron1 = "crontab" ascii
        $cron2 = "/etc/cron." ascii
        $reboot = "@reboot" ascii
    condition:
        any of them
}

rule anti_debug
{
    meta:
        capability = "anti-analysis"
        name = "checks for a debugger or a virtual machine"
        attack = "T1622"
        common = true
    strings:
        $dbg1 = "IsDebuggerPresent" ascii wide
        $dbg2 = "CheckRemoteDebuggerPresent" ascii wide
        $dbg3 = "NtQueryInformationProcess" ascii wide
        $dbg4 = "PTRACE_TRACEME" ascii
        $dbg5 = "P_TRACED" ascii
        $vm1 = "VBoxService" ascii wide nocase
        $vm2 = "vmtoolsd" ascii wide nocase
        $vm3 = "VMware" ascii wide
        $vm4 = "QEMU" ascii wide
        $vm5 = "SbieDll.dll" ascii wide nocase
        $vm6 = "wine_get_unix_file_name" ascii wide
        // ptrace(PTRACE_TRACEME = 0, ...) on x86-64 Linux: xor edi, edi ; ... mov eax, 101 ; syscall
        $ptrace_sc = { 31 FF [0-12] B8 65 00 00 00 0F 05 }
    condition:
        any of them
}

rule long_sleep
{
    meta:
        capability = "long-sleep"
        name = "sleeps for hours or days (delayed activity)"
        attack = "T1497.003"
        common = true
    strings:
        $sleep1 = "Sleep" ascii wide fullword
        $sleep2 = "SleepEx" ascii wide
        $sleep3 = "nanosleep" ascii
        $sleep4 = "usleep" ascii
        $sleep5 = "sleep" ascii fullword
        // 7 days in ms, 1 day in ms, 7 days in seconds, as 32-bit immediates (mov ecx/edi, imm32)
        $week_ms = { (B9 | BF | 68) 00 84 0C 24 }
        $day_ms = { (B9 | BF | 68) 00 5C 26 05 }
        $week_s = { (B9 | BF | 68) 80 3A 09 00 }
    condition:
        any of ($sleep*) and any of ($week_ms, $day_ms, $week_s)
}
