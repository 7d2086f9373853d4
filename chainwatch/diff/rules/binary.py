"""Code deltas of PE/ELF/Mach-O members: new loader code hidden in a rebuilt library."""

from __future__ import annotations

from collections.abc import Iterable

from chainwatch.diff import facts as F
from chainwatch.diff.rules.interface import DeltaRule, DiffContext
from chainwatch.models import Finding, MemberRecord, Severity

# APIs whose appearance in a library that did not use them is what a loader or injector needs
INJECTION_APIS = {
    "WriteProcessMemory", "CreateRemoteThread", "CreateRemoteThreadEx", "VirtualAllocEx", "VirtualProtectEx",
    "QueueUserAPC", "NtQueueApcThread", "SetThreadContext", "NtUnmapViewOfSection", "ZwUnmapViewOfSection",
    "RtlCreateUserThread", "NtCreateThreadEx", "NtWriteVirtualMemory", "SetWindowsHookExA", "SetWindowsHookExW",
    "ptrace", "process_vm_writev",
}
EXECUTION_APIS = {
    "VirtualProtect", "VirtualAlloc", "NtProtectVirtualMemory", "NtAllocateVirtualMemory", "CreateProcessA",
    "CreateProcessW", "CreateProcessAsUserW", "WinExec", "ShellExecuteA", "ShellExecuteW", "ShellExecuteExW",
    "URLDownloadToFileA", "URLDownloadToFileW", "InternetOpenA", "InternetOpenW", "InternetOpenUrlA",
    "InternetOpenUrlW", "WinHttpOpen", "WinHttpSendRequest", "CryptUnprotectData", "LoadLibraryA", "LoadLibraryW",
    "LoadLibraryExA", "LoadLibraryExW", "GetProcAddress", "CreateThread",
    "system", "execve", "execv", "execvp", "popen", "fork", "mprotect", "dlopen", "dlsym", "memfd_create",
}
# imports that almost every MinGW/MSVC-built DLL already has: only reported with stronger signals
COMMON_APIS = {"LoadLibraryA", "LoadLibraryW", "LoadLibraryExA", "LoadLibraryExW", "GetProcAddress", "CreateThread",
               "VirtualProtect", "VirtualAlloc", "dlopen", "dlsym", "fork"}


def _modified_binaries(old: MemberRecord | None, new: MemberRecord | None) -> bool:
    return old is not None and new is not None and old.sha256 != new.sha256 and F.is_binary(new)


class NewExecutionImports(DeltaRule):
    id = "diff.new-exec-imports"
    severity = Severity.MEDIUM
    description = "A rebuilt binary imports execution or injection APIs it did not import before."
    attack = "T1055"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _modified_binaries(old, new):
            return
        before, after = F.pe_imports(old), F.pe_imports(new)
        if not before and not after:
            return
        added = sorted(after - before)
        injection = [a for a in added if a in INJECTION_APIS]
        execution = [a for a in added if a in EXECUTION_APIS]
        if not injection and not execution:
            return
        if injection:
            sev = Severity.HIGH
            what = f"process-injection API{'s' if len(injection) > 1 else ''} {', '.join(injection)}"
        elif all(a in COMMON_APIS for a in execution):
            sev = Severity.LOW
            what = f"{', '.join(execution)}"
        else:
            sev = Severity.MEDIUM
            what = f"execution API{'s' if len(execution) > 1 else ''} {', '.join(execution)}"
        yield self.delta_finding(
            new, old, f"{new.name} now imports {what}, which the previous release did not: code that makes memory "
                      f"executable, starts processes or writes into other processes was added",
            before=sorted(before & (INJECTION_APIS | EXECUTION_APIS)), after=injection + execution,
            severity=sev, added_imports=added[:50],
        )


class NewExecutableSection(DeltaRule):
    id = "diff.new-exec-section"
    severity = Severity.HIGH
    description = "A binary gained an executable section (or a section became executable)."
    attack = "T1027"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _modified_binaries(old, new):
            return
        old_secs = {s.get("name"): s for s in F.sections(old)}
        new_secs = F.sections(new)
        if not old_secs or not new_secs:
            return
        old_exec = {n for n, s in old_secs.items() if s.get("executable")}
        for s in new_secs:
            name = s.get("name")
            if not s.get("executable") or name in old_exec:
                continue
            was = old_secs.get(name)
            how = "was added" if was is None else "became executable"
            yield self.delta_finding(
                new, old, f"section {name!r} of {new.name} {how}: new executable code outside the sections the "
                          f"previous build had (a classic way to bolt a loader onto a library)",
                before=sorted(n for n in old_exec if n), after={"name": name, "raw_size": s.get("raw_size"),
                                                               "entropy": s.get("entropy")},
            )


class EntryPointMoved(DeltaRule):
    id = "diff.entrypoint-moved"
    severity = Severity.HIGH
    description = "The entry point moved to another section."
    attack = "T1574"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _modified_binaries(old, new):
            return
        kind = "pe" if F.feat(new, "pe") else "elf"
        a, b = F.feat(old, kind), F.feat(new, kind)
        before, after = a.get("entry_section"), b.get("entry_section")
        if not a or not b or before == after or not before or not after:
            return  # shared objects often have no meaningful entry point (0 / no section)
        yield self.delta_finding(
            new, old, f"the entry point of {new.name} moved from section {before!r} to {after!r}: code now runs "
                      f"first from a different place than in the previous build",
            before={"section": before, "rva": a.get("entrypoint")},
            after={"section": after, "rva": b.get("entrypoint")},
        )


class NewTlsCallbacks(DeltaRule):
    id = "diff.new-tls-callbacks"
    severity = Severity.MEDIUM
    description = "TLS callbacks (code run before the entry point) appeared."
    attack = "T1574"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _modified_binaries(old, new):
            return
        a = F.feat(old, "pe").get("tls_callbacks") or []
        b = F.feat(new, "pe").get("tls_callbacks") or []
        if len(b) > len(a):
            yield self.delta_finding(new, old, f"{new.name} gained TLS callbacks: code that runs before the entry "
                                               f"point", before=len(a), after=len(b))


class ElfNewInitCode(DeltaRule):
    id = "diff.elf-new-init"
    severity = Severity.HIGH
    description = "New ELF constructors (init_array/.ctors) or IFUNC resolvers: code that runs at load time."
    attack = "T1574.006"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _modified_binaries(old, new):
            return
        a, b = F.feat(old, "elf"), F.feat(new, "elf")
        if not a or not b:
            return
        for key, label in (("ifuncs", "IFUNC resolvers"), ("init_array", "constructors"),
                           ("preinit_array", "pre-init constructors"), ("ctors", "constructors")):
            na, nb = F.count(a.get(key)), F.count(b.get(key))
            if nb > na:
                added = sorted(F.names_of(b.get(key)) - F.names_of(a.get(key)))[:20]
                yield self.delta_finding(
                    new, old, f"{new.name} has {nb - na} more {label} ({key}) than before: code that runs as soon "
                              f"as the library is loaded (the xz-utils backdoor hooked in through an IFUNC)",
                    before=na, after=nb, added=added,
                )


class MachoNewInitFuncs(DeltaRule):
    id = "diff.macho-new-init"
    severity = Severity.HIGH
    description = "A Mach-O binary gained module initialisers (code that runs at load time)."
    attack = "T1574.004"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _modified_binaries(old, new):
            return
        a = sum(F.count(sl.get("init_funcs")) for sl in F.feat(old, "macho").get("slices") or [])
        b = sum(F.count(sl.get("init_funcs")) for sl in F.feat(new, "macho").get("slices") or [])
        if F.feat(old, "macho") and b > a:
            yield self.delta_finding(new, old, f"{new.name} has {b - a} more module initialisers than before: code "
                                               f"that runs as soon as it is loaded", before=a, after=b)


class ElfNewNeeded(DeltaRule):
    id = "diff.elf-new-needed"
    severity = Severity.MEDIUM
    description = "An ELF binary links a library it did not need before (DT_NEEDED)."
    attack = "T1574.006"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _modified_binaries(old, new):
            return
        a, b = F.feat(old, "elf"), F.feat(new, "elf")
        if not a or not b:
            return
        added = sorted(set(map(str, b.get("needed") or [])) - set(map(str, a.get("needed") or [])))
        if added:
            yield self.delta_finding(new, old, f"{new.name} now loads {', '.join(added)} at start-up (new DT_NEEDED)",
                                     before=sorted(a.get("needed") or []), after=sorted(b.get("needed") or []),
                                     added=added)
        for key in ("rpath", "runpath"):
            ra, rb = a.get(key) or [], b.get(key) or []
            if rb and rb != ra:
                yield self.delta_finding(new, old, f"{new.name} changed its {key.upper()} search path",
                                         before=ra, after=rb, severity=Severity.MEDIUM)


_SYSTEM_DYLIB_PREFIXES = ("/usr/lib/", "/System/Library/")


class MachoNewDylib(DeltaRule):
    id = "diff.macho-new-dylib"
    severity = Severity.MEDIUM
    description = "A Mach-O binary loads a dylib it did not load before."
    attack = "T1574.004"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _modified_binaries(old, new):
            return
        if not F.feat(old, "macho") or not F.feat(new, "macho"):
            return
        before, after = F.macho_dylibs(old), F.macho_dylibs(new)
        added = sorted(after - before)
        if not added:
            return
        odd = [d for d in added if not d.startswith(_SYSTEM_DYLIB_PREFIXES)]
        sev = Severity.HIGH if odd else Severity.MEDIUM
        yield self.delta_finding(
            new, old, f"{new.name} now loads {', '.join(added)}"
                      + (" (not a system library: a dylib that could be planted next to the app)" if odd else ""),
            before=sorted(before), after=sorted(after), severity=sev, added=added,
        )


class DotnetTypesAdded(DeltaRule):
    id = "diff.dotnet-types-added"
    severity = Severity.MEDIUM
    description = ".NET types were added to an assembly whose version did not change (SolarWinds SUNBURST)."
    attack = "T1195.002"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _modified_binaries(old, new):
            return
        a, b = F.feat(old, "dotnet"), F.feat(new, "dotnet")
        if not a or not b:
            return
        if str(a.get("assembly_version")) != str(b.get("assembly_version")):
            return
        ta, tb = set(map(str, a.get("types") or [])), set(map(str, b.get("types") or []))
        added = sorted(tb - ta)
        if not added and int(b.get("type_count") or 0) <= int(a.get("type_count") or 0):
            return
        count = len(added) or int(b.get("type_count") or 0) - int(a.get("type_count") or 0)
        yield self.delta_finding(
            new, old, f"{count} .NET type(s) were added to {new.name} while its assembly version stayed "
                      f"{b.get('assembly_version')}: new code shipped under an old version number",
            before=a.get("type_count", len(ta)), after=b.get("type_count", len(tb)), added_types=added[:30],
            severity=Severity.HIGH if count >= 3 else Severity.MEDIUM,
        )


RULES = [NewExecutionImports(), NewExecutableSection(), EntryPointMoved(), NewTlsCallbacks(), ElfNewInitCode(),
         ElfNewNeeded(), MachoNewDylib(), MachoNewInitFuncs(), DotnetTypesAdded()]
