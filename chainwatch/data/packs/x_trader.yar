/* chainwatch built-in rules for the X_TRADER / VEILEDSIGNAL chain (Mandiant facts); written for chainwatch. */
rule CW_VEILEDSIGNAL_Pipe_Name
{
    meta:
        description = "named pipe of the VEILEDSIGNAL C2 module inside a PE"
        author = "chainwatch"
        campaign = "x_trader"
        reference = "https://cloud.google.com/blog/topics/threat-intelligence/3cx-software-supply-chain-compromise"
        score = 80
    strings:
        $pipe = "\\\\.\\pipe\\gecko.nativeMessaging" ascii wide
        $pipe2 = "gecko.nativeMessaging" ascii wide
    condition:
        uint16(0) == 0x5A4D and any of them
}
