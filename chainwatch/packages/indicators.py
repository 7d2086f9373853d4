"""String-level indicators: shady endpoints, credential stores, persistence places, downloader commands.

These look at literal text (string constants, decoded payloads, npm script commands). They name what
a string points at; whether that matters is decided by ``judge`` together with the code around it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from chainwatch.packages import signals as sg

URL_RE = re.compile(r"(?i)(?:https?|wss?|ftp|tcp)://[^\s'\"<>`\\)\]}]{3,300}")
HOST_RE = re.compile(r"(?i)^(?:[a-z]+://)?(?:[^@/\s]*@)?(\[[0-9a-f:]+\]|[^/:?#\s]+)")

# concrete secrets in URLs: whoever holds the package can read the channel, so nobody ships these honestly
TOKEN_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("discord-webhook", re.compile(r"(?i)discord(?:app)?\.com/api/(?:v(?:\d+|\{\})/)?webhooks/\d{6,}/[\w-]{20,}")),
    ("telegram-bot", re.compile(r"(?i)api\.telegram\.org/bot\d{5,}:[\w-]{20,}")),
    ("telegram-bot-token", re.compile(r"\b\d{8,10}:AA[\w-]{30,}\b")),
    ("slack-webhook", re.compile(r"(?i)hooks\.slack\.com/services/T\w+/B\w+/\w{10,}")),
]

SHADY_HOSTS: list[tuple[str, re.Pattern[str]]] = [
    ("webhook", re.compile(r"(?i)(?:^|\.)(?:discord(?:app)?\.com$|api\.telegram\.org$|hooks\.slack\.com$|"
                           r"webhook\.site$|webhook\.office\.com$)")),
    ("paste", re.compile(r"(?i)(?:^|\.)(?:pastebin\.com|paste\.ee|hastebin\.com|rentry\.co|rentry\.org|ghostbin\.\w+|"
                         r"pastes\.io|paste\.rs|dpaste\.\w+|controlc\.com|justpaste\.it|pastefy\.app|"
                         r"transfer\.sh|anonfiles\.com|gofile\.io|file\.io|0x0\.st|bashupload\.com|"
                         r"temp\.sh|tmpfiles\.org|catbox\.moe|filebin\.net|paste\.c-net\.org)$")),
    ("file-hosting", re.compile(r"(?i)^(?:cdn\.discordapp\.com|media\.discordapp\.net|store\d*\.gofile\.io)$")),
    ("tunnel", re.compile(r"(?i)(?:^|\.)(?:ngrok\.io|ngrok-free\.app|ngrok-free\.dev|ngrok\.app|"
                          r"ngrok\.dev|trycloudflare\.com|"
                          r"serveo\.net|localhost\.run|loca\.lt|pagekite\.me|portmap\.io|bore\.pub|"
                          r"localtunnel\.me|playit\.gg|duckdns\.org|no-ip\.\w+|ddns\.net|hopto\.org)$")),
    ("oast", re.compile(r"(?i)(?:^|\.)(?:oast\.(?:fun|pro|live|site|online|me)|interact\.sh|interactsh\.com|"
                        r"burpcollaborator\.net|oastify\.com|dnslog\.cn|ceye\.io|requestbin\.\w+|"
                        r"pipedream\.net|canarytokens\.com|beeceptor\.com|requestcatcher\.com|"
                        r"bxss\.me|xss\.ht|dnsbin\.zhack\.ca|ssrf\.\w+|webhook\.site|hookbin\.com|"
                        r"postb\.in|ptsv2\.com|mockbin\.org|mockapi\.io|rbndr\.us|dnslog\.\w+)$")),
    # free app hosting: fine for a demo, but no SDK sends its users' secrets there (only the exfil rule uses it)
    ("app-hosting", re.compile(r"(?i)(?:^|\.)(?:herokuapp\.com|glitch\.me|repl\.co|replit\.app|replit\.dev|"
                               r"pythonanywhere\.com|000webhostapp\.com|onrender\.com|up\.railway\.app|"
                               r"fly\.dev|vercel\.app|netlify\.app|workers\.dev|pages\.dev|deno\.dev)$")),
    ("shortener", re.compile(r"(?i)^(?:bit\.ly|tinyurl\.com|is\.gd|cutt\.ly|t\.ly|rebrand\.ly|shorturl\.at|"
                             r"goo\.gl|rb\.gy|v\.gd|tiny\.cc)$")),
]

IP_LOOKUP_HOSTS = re.compile(r"(?i)^(?:api\.ipify\.org|api64\.ipify\.org|ipinfo\.io|ifconfig\.me|ifconfig\.co|"
                             r"icanhazip\.com|checkip\.amazonaws\.com|ip-api\.com|ipapi\.co|myexternalip\.com|"
                             r"wtfismyip\.com|ident\.me|ipecho\.net|geolocation-db\.com|ipwho\.is)$")

CREDENTIAL_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ssh-keys", re.compile(r"(?i)(?:[/\\~]\.ssh\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|authorized_keys|known_hosts)")),
    ("cloud-credentials", re.compile(r"(?i)(?:\.aws[/\\]credentials|\.aws[/\\]config|\.azure[/\\]|"
                                     r"application_default_credentials\.json|\.config[/\\]gcloud|\.kube[/\\]config)")),
    ("package-tokens", re.compile(r"(?i)(?:\.npmrc\b|\.pypirc\b|\.git-credentials\b|\.docker[/\\]config\.json|"
                                  r"\.netrc\b|\.yarnrc|\.gem[/\\]credentials|\.cargo[/\\]credentials)")),
    ("browser-store", re.compile(r"(?i)(?:Login Data\b|\bWeb Data\b|\bLocal State\b|\bkey4\.db\b|logins\.json|"
                                 r"cookies\.sqlite|Google[/\\]+Chrome[/\\]+User Data|BraveSoftware|Opera Software|"
                                 r"Yandex[/\\]+YandexBrowser|Microsoft[/\\]+Edge[/\\]+User Data|Mozilla[/\\]+Firefox[/\\]+Profiles)")),  # noqa: E501
    # dQw4w9WgXcQ: prefixes Discord's encrypted token blobs (the bare ID is a video, in many notebooks)
    ("discord-token-store", re.compile(r"(?i)(?:discord(?:canary|ptb)?[/\\]+Local Storage|Local Storage[/\\]+leveldb|"
                                       r"\[\\w-\]\{24\}\\\.|dQw4w9WgXcQ:)")),
    ("crypto-wallet", re.compile(r"(?i)(?:wallet\.dat\b|\bExodus[/\\]|exodus\.wallet|Electrum[/\\]+wallets|"
                                 # a wallet's name is how every wallet connector names it (WalletConnect's
                                 # "MetaMask", the "@metamask/" packages): a stealer reads its extension's ID
                                 r"Atomic[/\\]+Local Storage|nkbihfbeogaeaoehlefnkodbefgpgknn|"
                                 r"bfnaelmomeimhlpmgjnjophhpkkoljpa|Coinomi|Armory[/\\]|"
                                 r"(?-i:\bGuarda)[/\\]|Ethereum[/\\]+keystore|\bsolana[/\\]+id\.json)")),
    ("messenger-session", re.compile(r"(?i)(?:Telegram Desktop[/\\]+tdata|\btdata\b[/\\]|Signal[/\\]+config\.json)")),
    ("system-secrets", re.compile(r"(?i)(?:/etc/shadow\b|/etc/passwd\b|\.bash_history\b|\.zsh_history\b|"
                                  r"login\.keychain|Keychains[/\\])")),
    # a secret-scanning tool run over the machine (Shai-Hulud ran trufflehog to harvest tokens)
    ("secret-scanner", re.compile(r"(?i)\btrufflehog\b|\bgitleaks\b")),
    ("ftp-game-clients", re.compile(r"(?i)(?:FileZilla[/\\]+(?:recentservers|sitemanager)|Steam[/\\]+ssfn|"
                                    r"\bssfn\d|Minecraft[/\\]+launcher_accounts)")),
]

PERSISTENCE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("windows-startup", re.compile(r"(?i)(?:Start Menu[/\\]+Programs[/\\]+Startup|shell:startup|"
                                   r"CurrentVersion[/\\]+Run(?:Once)?\b|\bschtasks\b.*?/create|"
                                   r"\breg(?:\.exe)?\s+add\b.*?\\Run\b)")),
    # keys Windows reads at logon or when it starts a program, and system handlers whose open command a
    # user-level write replaces (ms-settings + fodhelper.exe: the UAC bypass droppers use); a package
    # registering its own file type or URL scheme under Software\Classes is none of these
    ("windows-autostart", re.compile(r"(?i)(?:[/\\]Winlogon\b|Image File Execution Options|UserInitMprLogonScript|"
                                     r"Active Setup[/\\]+Installed Components|"
                                     r"Classes[/\\]+(?:ms-settings|mscfile|exefile|Folder|Directory|lnkfile|batfile|"
                                     r"cmdfile|comfile|piffile|ms-windows-store|Launcher\.SystemSettings|\*)[/\\]+shell\b)")),
    ("unix-autostart", re.compile(r"(?i)(?:\bcrontab\b|/etc/cron\.|/etc/rc\.local|/etc/systemd/system|"
                                  r"systemctl\s+enable|\.config/autostart)")),
    # a login shell's start-up files: developer tools add PATH, completion and environment lines there
    ("shell-profile", re.compile(r"(?i)(?:[/~]\.bashrc\b|[/~]\.zshrc\b|[/~]\.bash_profile\b|[/~]\.profile\b)")),
    ("macos-launch", re.compile(r"(?i)(?:Library/LaunchAgents|Library/LaunchDaemons|launchctl\s+load)")),
    # a CI workflow written into the project being installed into (npm and pip run in its folder): code
    # that runs with the repository's secrets on every push (Shai-Hulud planted one in each repository)
    ("ci-workflow", re.compile(r"(?i)\.github[/\\]+workflows\b")),
]

# download commands (as opposed to shapes no tool needs: reverse shells, miners, encoded PowerShell...): in a
# file that starts no program they are text, install instructions in messages and keyword tables
FETCH_COMMAND_PATTERNS = frozenset(("pipe-to-shell", "substitute-to-shell", "fetch-and-run", "powershell-download",
                                    "powershell-iex", "lolbin-download"))
DOWNLOADER_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("pipe-to-shell", re.compile(r"(?i)\b(?:curl|wget)\b[^|;&\n]{0,300}\|\s*(?:sudo\s+(?:-\w+\s+)*)?"
                                 r"(?:(?:ba|z|da|k)?sh|python[23]?|node|perl|ruby|php|pwsh)\b")),
    # the fetched script handed to a shell by substitution: sh -c "$(curl ...)", bash <(curl ...)
    ("substitute-to-shell", re.compile(r"(?i)(?:\b(?:ba|z|da|k)?sh\s+(?:-\w+\s+)*[\"']?|\beval\s+[\"']?)"
                                       r"(?:\$\(|<\(|`)\s*(?:curl|wget)\b")),
    ("fetch-and-run", re.compile(r"(?i)\b(?:curl|wget)\b[^\n]{0,300}(?:&&|;)\s*(?:chmod\s+\+?[0-7x]+|\./|sh\s|bash\s|"
                                 r"python3?\s|node\s|start\s)")),
    ("powershell-download", re.compile(r"(?i)(?:\bDownload(?:String|File|Data)\b|Invoke-WebRequest|\biwr\s|"
                                       r"Invoke-RestMethod|\birm\s|Start-BitsTransfer|Net\.WebClient)")),
    ("powershell-encoded", re.compile(r"(?i)powershell(?:\.exe)?[^\n]{0,80}\s-(?:e|ec|en|enc|enco|encodedcommand)\s+[A-Za-z0-9+/=]{20,}")),  # noqa: E501
    ("powershell-hidden", re.compile(r"(?i)powershell(?:\.exe)?[^\n]{0,80}-(?:w|windowstyle)\s+hidden")),
    ("powershell-iex", re.compile(r"(?i)\b(?:iex|Invoke-Expression)\b")),
    ("lolbin-download", re.compile(r"(?i)(?:certutil(?:\.exe)?\s[^\n]{0,40}-urlcache|bitsadmin(?:\.exe)?\s[^\n]{0,20}/transfer|"  # noqa: E501
                                   r"mshta(?:\.exe)?\s+(?:https?|vbscript|javascript):|regsvr32[^\n]{0,40}/i:https?)")),
    ("reverse-shell", re.compile(r"(?i)(?:/dev/tcp/\d|bash\s+-i\s*>&|\bnc(?:at)?\s+(?:-\w+\s+)*-e\s|"
                                 r"socat\s+[^\n]*exec:|pty\.spawn\(|sh\s+-i\s+2>&1)")),
    # blinding the machine's defences: Defender exclusions or switched off, firewall off, shadow copies
    # and event logs wiped, boot recovery off (no installer or library does these)
    ("defense-evasion", re.compile(r"(?i)(?:(?:Add|Set)-MpPreference\s[^\n]{0,60}-(?:Exclusion\w*|Disable\w+)|"
                                   r"netsh(?:\.exe)?\s+(?:advfirewall|firewall)\s+set\s[^\n]{0,40}"
                                   r"(?:state\s+off|mode=disable)|vssadmin(?:\.exe)?\s+delete\s+shadows|"
                                   r"wmic(?:\.exe)?\s+shadowcopy\s+delete|"
                                   r"bcdedit(?:\.exe)?\s[^\n]{0,30}recoveryenabled\s+no|wevtutil(?:\.exe)?\s+cl\s)")),
    ("crypto-miner", re.compile(r"(?i)(?:stratum\+(?:tcp|ssl)://|\bxmrig\b|minexmr|nanopool\.org|supportxmr|"
                                r"--donate-level|moneroocean|\bcryptonight\b|--rig-id)")),
]

PRIVATE_NETS = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/4", "240.0.0.0/4",
)]


@dataclass(frozen=True)
class Endpoint:
    url: str
    host: str
    category: str  # webhook, paste, tunnel, oast, raw-ip, file-hosting, shortener, ip-lookup, token:<kind>


def url_host(url: str) -> str:
    m = HOST_RE.match(url.strip())
    return (m.group(1) if m else "").lower().strip("[]").rstrip(".")


def is_public_ip(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if ip.version == 6:
        return ip.is_global
    return not any(ip in net for net in PRIVATE_NETS)


def classify_url(url: str) -> Endpoint | None:
    for kind, pattern in TOKEN_PATTERNS:
        m = pattern.search(url)
        if m and not _DUMMY_TOKEN_RE.search(m.group(0)):
            return Endpoint(url, url_host(url), f"token:{kind}")
    return classify_host(url_host(url), url)


# a documentation or test placeholder in place of a token (Slack's T00000000/B00000000/XXXXXXXX...)
_DUMMY_TOKEN_RE = re.compile(r"(?i)x{8,}|/[TB]0{8,}/|0{10,}")


def classify_host(host: str, url: str = "") -> Endpoint | None:
    """Category of a host name (raw public IP, IP lookup service, webhook/paste/tunnel/OAST host...).
    A wildcard (``https://*.ngrok-free.app`` in a list of allowed origins) matches hosts; it names none."""
    if not host or host.startswith("*"):
        return None
    if is_public_ip(host):
        return Endpoint(url, host, "raw-ip")
    if IP_LOOKUP_HOSTS.match(host):
        return Endpoint(url, host, "ip-lookup")
    for category, pattern in SHADY_HOSTS:
        if pattern.search(host):
            if category == "webhook" and _no_channel(host, url):
                return None
            return Endpoint(url, host, category)
    return None


# what a URL on a chat host points at when it is not a channel data can be posted to: an invite link, the
# bare API base a client adds its token to later (its version may be set at run time: ``api/v{}``, or
# ``api/v`` where a string ends before the version is added), the bot prefix without a token, an OAuth
# sign-in flow ("Sign in with Discord": the authorize page and the token endpoint, where a grabber has no business),
# documentation (developers/docs, the help centre's hc/articles), emoji images, or a placeholder
_CHAT_IDLE_PATH_RE = re.compile(r"(?i)^/*(?:invite/.*|api(?:/v(?:\d+|\{\})?)?/?|bot/?|(?:api(?:/v\d+)?/)?oauth2/.*|"
                                r"developers/.*|hc/.*|emojis/.*|)$")
_PLACEHOLDER_RE = re.compile(r"(?i)x{3,}|<[^<>]*>|your[_-]|example|placeholder")  # {} marks a run-time part


def _no_channel(host: str, url: str) -> bool:
    """A chat-host URL that names no webhook, bot or file (``discord.com/invite/abc``, ``api.telegram.org/bot``,
    ``hooks.slack.com/XXX``); False for a bare host, which says nothing either way."""
    if not url or url == host or "://" not in url:
        return False
    path = url.split("://", 1)[1].partition("/")[2].split("?", 1)[0].split("#", 1)[0]
    if _CHAT_IDLE_PATH_RE.match(path):
        return True
    return (host.endswith("hooks.slack.com") and not path.startswith("services/")) or bool(_PLACEHOLDER_RE.search(path))


def dns_name_endpoint(name: str) -> Endpoint | None:
    """The endpoint a DNS lookup of ``name`` reaches when it sits under an untrusted domain (OAST, tunnel,
    paste...). ``{}`` marks a part built at run time (folded f-string/template): the name is then the
    data itself, which is how dependency-confusion recon leaves a build machine."""
    host = name.replace("{}", "x").strip().rstrip(".").lower()
    if not host or "/" in host or " " in host:
        return None
    ep = classify_host(host, host)
    return ep if ep is not None and ep.category not in ("ip-lookup", "raw-ip") else None


# a dotted host name, possibly with the shell's command or variable substitutions in its labels
# (``$(whoami)``, `` `hostname` ``, ``${USER}``, ``%USERNAME%``): how recon scripts put machine data in a DNS name
_BARE_HOST_RE = re.compile(r"(?<![\w.$(){}`%@-])((?:[\w$(){}`%-]+\.)+[A-Za-z][A-Za-z0-9-]*)(?![\w-])")
SUBSTITUTION_RE = re.compile(r"\$\(|`|\$\{|\$[A-Z_]{3,}|%[A-Z_]{3,}%")


def bare_hosts(text: str) -> list[Endpoint]:
    """Callback hosts (OAST and the like) named without a URL scheme, as DNS tools and shell one-liners
    name them; only looked for around the callback domains' keywords. A callback always has a name of
    its own under the service (``c1abc.oast.fun``): the bare service name (``oast.fun``, in a client's
    server list) is not one."""
    out: list[Endpoint] = []
    for lo, hi in gate_windows(text).get("dns-name", []):
        for m in _BARE_HOST_RE.finditer(text, lo, hi):
            host = m.group(1)
            if host.count(".") < 2:
                continue
            ep = classify_host(SUBSTITUTION_RE.sub("x", host).lower(), host)
            if ep is not None and ep.category not in ("ip-lookup", "raw-ip"):
                out.append(Endpoint(host, host, ep.category))
    return out


def endpoints_in(text: str, limit: int = 50) -> list[Endpoint]:
    out: list[Endpoint] = []
    text = text[:MAX_INDICATOR_TEXT]
    if "://" not in text and ":AA" not in text:
        return bare_hosts(text)[:limit]
    seen: set[str] = set()
    for m in URL_RE.finditer(text):
        url = m.group(0).rstrip(".,;")
        if url in seen:
            continue
        seen.add(url)
        ep = classify_url(url)
        if ep:
            out.append(ep)
            if len(out) >= limit:
                break
    for token in bot_tokens(text):  # tokens outside a URL (split strings joined at run time)
        if not any(token.url in e.url for e in out):
            out.append(token)
    out += [ep for ep in bare_hosts(text) if not any(ep.host in e.url for e in out)][:max(0, limit - len(out))]
    return out


def bot_tokens(text: str) -> list[Endpoint]:
    """Concrete bot tokens and webhook secrets wherever they stand in ``text``, inside a URL or not (split
    strings joined at run time, an f-string whose version is a field); placeholders are not tokens."""
    return [Endpoint(m.group(0), "", f"token:{kind}") for kind, pattern in TOKEN_PATTERNS
            for m in pattern.finditer(text) if not _DUMMY_TOKEN_RE.search(m.group(0))]


MAX_INDICATOR_TEXT = 512 * 1024
# after ``npm_`` in an environment variable's name: npm's proxy and registry settings are how a tool
# connects (a fetch through the user's proxy), not secrets. Shared by the Python and the JavaScript scanner
NPM_NOT_A_SECRET = r"(?!config_(?:(?:https?_|no_?)?proxy|registry))"
# cheap keyword gates (one Aho-Corasick pass over the lowercased text): the detailed patterns, with their
# bounded wildcards, only run for the families whose keywords are present
_GATE_WORDS = {
    "credential": (".ssh", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "authorized_keys", "known_hosts", ".aws",
                   ".azure", "application_default", "gcloud", ".kube", "npmrc", "pypirc", "git-credentials",
                   ".docker", ".netrc", "yarnrc", "credentials", "login data", "web data", "local state", "key4.db",
                   "logins.json", "cookies.sqlite", "chrome", "bravesoftware", "opera software", "yandex", "user data",
                   "firefox", "leveldb", "local storage", "dqw4w9wgxcq", "wallet", "exodus", "electrum", "atomic",
                   "metamask", "nkbihf", "phantom", "bfnaelmo", "coinomi", "armory", "guarda", "keystore", "solana",
                   "tdata", "signal/", "signal\\", "/etc/shadow", "/etc/passwd", "bash_history", "zsh_history",
                   "keychain", "filezilla", "ssfn", "minecraft", "\\w-]{24", "trufflehog", "gitleaks"),
    "persistence": ("startup", "currentversion", "schtasks", "reg add", "reg.exe", "crontab", "/etc/cron",
                    "rc.local", "systemd/system", "systemctl", "autostart", "bashrc", "zshrc", "bash_profile",
                    ".profile", "launchagents", "launchdaemons", "launchctl", "workflows", "winlogon",
                    "image file execution options", "userinitmprlogonscript", "installed components", "classes\\",
                    "classes/"),
    "downloader": ("curl", "wget", "downloadstring", "downloadfile", "downloaddata", "invoke-", "iwr", "irm",
                   "bitstransfer", "webclient", "powershell", "iex", "certutil", "bitsadmin", "mshta", "regsvr32",
                   "/dev/tcp", "bash -i", "nc -", "ncat ", "ncat\t", "socat", "pty.spawn", "sh -i",
                   "mppreference", "firewall", "vssadmin", "shadowcopy", "bcdedit", "wevtutil",
                   "stratum+", "xmrig", "minexmr", "nanopool.org", "supportxmr", "--donate-level", "moneroocean",
                   "cryptonight", "--rig-id"),
    # callback services named without a scheme (``nslookup $(whoami).x.oast.fun``, ``ping host.burpcollaborator.net``)
    "dns-name": ("oast.", "interact.sh", "interactsh", "burpcollaborator", "oastify", "dnslog", "ceye.io",
                 "pipedream.net", "canarytokens", "requestbin", "bxss.me"),
}


@cache
def _gate() -> Any:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for family, words in _GATE_WORDS.items():
        for w in words:
            automaton.add_word(w, family) if w not in automaton else None
            if w in automaton and automaton.get(w) != family:
                automaton.add_word(w, automaton.get(w) + "|" + family)
    automaton.make_automaton()
    return automaton


# (text, windows) of the last call: the pattern families of one literal are checked one after the other.
# The text is held so that the identity test cannot match a new string at a reused address, and the pair
# is one tuple so that threads swap it whole.
_last_windows: tuple[str | None, dict[str, list[tuple[int, int]]]] = (None, {})


def gate_windows(text: str, window: int = 400) -> dict[str, list[tuple[int, int]]]:
    """For each family with a keyword in ``text``, the merged spans around its keyword hits (not to be
    changed by the caller: the last result is reused for the same string)."""
    global _last_windows
    last = _last_windows
    if window == 400 and last[0] is text:
        return last[1]
    spans: dict[str, list[tuple[int, int]]] = {}
    for end, value in _gate().iter(text.lower()):
        for family in value.split("|"):
            lst = spans.setdefault(family, [])
            lo, hi = max(0, end - window), end + window
            if lst and lo <= lst[-1][1]:
                lst[-1] = (lst[-1][0], max(lst[-1][1], hi))
            elif len(lst) < 64:
                lst.append((lo, hi))
    if window == 400:
        _last_windows = (text, spans)
    return spans


# cryptocurrency addresses (Ethereum, Bitcoin bech32 and legacy, Tron, Solana, Bitcoin Cash)
WALLET_RES = [re.compile(p) for p in (
    rb"\b0x[a-fA-F0-9]{40}\b", rb"\bbc1[02-9ac-hj-np-z]{25,60}\b", rb"\b[13][a-km-zA-HJ-NP-Z1-9]{25,34}\b",
    rb"\bT[A-Za-z1-9]{33}\b", rb"\b[1-9A-HJ-NP-Za-km-z]{43,44}\b", rb"\b(?:bitcoincash:)?q[a-z0-9]{41}\b")]


def wallet_addresses(data: bytes, limit: int = 200) -> set[bytes]:
    """Distinct cryptocurrency addresses in ``data`` (at most ``limit``)."""
    found: set[bytes] = set()
    for rx in WALLET_RES:
        found.update(rx.findall(data[:4 * 1024 * 1024]))
        if len(found) >= limit:
            break
    return found


def hot_offsets(text: str) -> list[int]:
    """Sorted offsets in ``text`` where some indicator could start or end: each gate keyword's end, and
    every ``://`` and ``:AA`` (the only ways in for endpoints and bot tokens). A piece of ``text`` with
    no offset inside it cannot give an indicator, so callers skip it without running the patterns."""
    out = [end for end, _value in _gate().iter(text.lower())]
    for needle in ("://", ":AA"):
        at = text.find(needle)
        while at >= 0:
            out.append(at)
            at = text.find(needle, at + 1)
    out.sort()
    return out


def gate_families(text: str) -> set[str]:
    return set(gate_windows(text))


_FAMILY_OF = {}


def is_blob(text: str) -> bool:
    """A long run without spaces (an encoded payload): decoded and scanned elsewhere, not pattern-matched."""
    if len(text) < 2048:
        return False
    sample = text[:65536]
    return sample.count(" ") + sample.count("\n") + sample.count("\t") < len(sample) / 200


def match_any(patterns: list[tuple[str, re.Pattern[str]]], text: str) -> list[tuple[str, str]]:
    """(label, matched text) for every pattern family that matches."""
    hits: list[tuple[str, str]] = []
    text = text[:MAX_INDICATOR_TEXT]
    if is_blob(text):
        return hits
    family = _FAMILY_OF.get(id(patterns))
    pieces = [text]
    if family is not None:
        spans = gate_windows(text).get(family)
        if not spans:
            return hits
        pieces = [text[a:b] for a, b in spans]
    for label, pattern in patterns:
        for piece in pieces:
            m = pattern.search(piece)
            if m:
                hits.append((label, m.group(0)[:200]))
                break
    return hits


_FAMILY_OF.update({id(CREDENTIAL_PATTERNS): "credential", id(PERSISTENCE_PATTERNS): "persistence",
                   id(DOWNLOADER_PATTERNS): "downloader"})


def credential_targets(text: str) -> list[tuple[str, str]]:
    return match_any(CREDENTIAL_PATTERNS, text)


def persistence_targets(text: str) -> list[tuple[str, str]]:
    return match_any(PERSISTENCE_PATTERNS, text)


def downloader_commands(text: str) -> list[tuple[str, str]]:
    return match_any(DOWNLOADER_PATTERNS, text)


# ------------------------------------------------------------------ signals both code scanners emit


ENV_NAME_LABEL = "env:"  # taint label carrying the name of a secret environment variable read


def env_names(labels: set[str]) -> list[str] | None:
    """The secret environment variables a value carries, by name (for the evidence and the judge)."""
    names = sorted(lbl[len(ENV_NAME_LABEL):] for lbl in labels if lbl.startswith(ENV_NAME_LABEL))
    return names[:10] or None


def mark_mentions(signals: list[Any]) -> None:
    """A file that starts no program cannot run the download commands its text holds (``curl ... | sh`` in
    an error message, ``DownloadString`` in a scanner's keyword table): they become mentions."""
    if any(s.kind == sg.PROCESS for s in signals):
        return
    for s in signals:
        if s.kind == sg.PROCESS_DOWNLOADER and s.detail.get("pattern") in FETCH_COMMAND_PATTERNS:
            s.detail.setdefault("how", "mentioned")


def endpoint_signals(text: str, limit: int = 50) -> list[tuple[str, dict[str, Any]]]:
    """(signal kind, detail) for each endpoint in ``text``: bot-token APIs, public-IP lookups, hosts."""
    return [endpoint_signal(ep) for ep in endpoints_in(text, limit=limit)]


def endpoint_signal(ep: Endpoint) -> tuple[str, dict[str, Any]]:
    """(signal kind, detail) of one endpoint."""
    if ep.category.startswith("token:"):
        return sg.ENDPOINT_TOKEN, {"url": ep.url[:200], "category": ep.category[6:]}
    if ep.category == "ip-lookup":
        return sg.SOURCE_SYSINFO, {"what": "public IP lookup", "url": ep.url[:200]}
    return sg.ENDPOINT, {"url": ep.url[:200], "host": ep.host, "category": ep.category}


def text_signals(text: str) -> list[tuple[str, dict[str, Any]]]:
    """(signal kind, detail) for what a string literal or command line names: endpoints, downloader
    commands, credential stores. Shared by the Python and the JavaScript scanner."""
    out = endpoint_signals(text, limit=10)
    out += [(sg.PROCESS_DOWNLOADER, {"pattern": label, "match": match}) for label, match in downloader_commands(text)]
    out += [(sg.SOURCE_CREDENTIAL, {"store": label, "match": match}) for label, match in credential_targets(text)]
    return out
