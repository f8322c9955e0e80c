//! Root file systems berth imports as images, offline: the pod infra image
//! (a hand-made static `/pause` program) and a busybox test image.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Engine, EngineError};

/// The `docker import` changes for the infra image. Docker cannot set a stop
/// signal at import: set `SIGKILL` on the container (a PID 1 without signal
/// handlers ignores SIGTERM).
pub const PAUSE_CHANGES: &[&str] = &[r#"ENTRYPOINT ["/pause"]"#];

/// `PAUSE_CHANGES` as `Engine::import_image` takes them.
pub fn pause_changes() -> Vec<String> {
    PAUSE_CHANGES
        .iter()
        .map(|change| change.to_string())
        .collect()
}

/// Where the program is loaded in memory (the usual base for executables).
const LOAD_ADDRESS: u64 = 0x40_0000;
/// Size of the ELF64 file header.
const ELF_HEADER_SIZE: u16 = 64;
/// Size of one ELF64 program header.
const PROGRAM_HEADER_SIZE: u16 = 56;

/// x86-64 machine code: `loop: mov eax, 34 (pause); syscall; jmp loop`.
const X86_64_CODE: &[u8] = &[
    0xb8, 0x22, 0x00, 0x00, 0x00, // mov eax, 34       ; the `pause` system call number
    0x0f, 0x05, //                   syscall           ; sleep until a signal arrives
    0xeb, 0xf7, //                   jmp -9            ; back to `mov`, forever
];

/// aarch64 has no `pause`: `ppoll(NULL, 0, NULL, NULL)` blocks the same way.
const AARCH64_CODE: &[u32] = &[
    0xd280_0000, // mov x0, #0        ; fds = NULL
    0xd280_0001, // mov x1, #0        ; nfds = 0
    0xd280_0002, // mov x2, #0        ; timeout = NULL: forever
    0xd280_0003, // mov x3, #0        ; sigmask = NULL
    0xd280_0004, // mov x4, #0        ; sigsetsize = 0
    0xd280_0928, // mov x8, #73       ; the `ppoll` system call number
    0xd400_0001, // svc #0            ; sleep until a signal arrives
    0x17ff_fff9, // b -28             ; back to the first `mov`, forever
];

/// A complete static ELF executable that sleeps until killed, for `arch`
/// (`std::env::consts::ARCH` spelling).
pub fn pause_elf(arch: &str) -> Result<Vec<u8>, String> {
    static_elf(arch, X86_64_CODE, AARCH64_CODE).map_err(|other| {
        format!(
            "berth cannot build its pause program for the {other} architecture (only x86_64 and aarch64); \
             pass an infra image built for this machine instead"
        )
    })
}

/// The program berth copies into a pod's infra container to update the
/// files of its ConfigMap, Secret and downward API volumes in one atomic
/// step, as the kubelet does: `/.berth-swap FROM TO [PATH...]`, run in the
/// volume, renames FROM over TO (the `..data` symlink), then unlinks each
/// PATH, or removes it as an empty directory (what the old version left).
/// Its exit code is the rename's errno, 0 when it worked; 22 (EINVAL)
/// without FROM and TO.
pub fn swap_elf(arch: &str) -> Result<Vec<u8>, String> {
    static_elf(arch, X86_64_SWAP, AARCH64_SWAP).map_err(|other| {
        format!(
            "berth cannot build the program that updates ConfigMap and Secret files in place \
             for the {other} architecture (only x86_64 and aarch64)"
        )
    })
}

/// x86-64: `rename(argv[1], argv[2])`, then `unlinkat(AT_FDCWD, argv[i], 0)`
/// for each further argument, retried with `AT_REMOVEDIR` when it fails;
/// `exit(-rename's result)`. Assembled from:
/// ```text
///   mov rbx, rsp ; mov r12, [rbx] ; mov r13d, 22 ; cmp r12, 3 ; jb done
///   mov eax, 82 ; mov rdi, [rbx+16] ; mov rsi, [rbx+24] ; syscall
///   mov r13, rax ; neg r13 ; mov r14d, 3
/// loop: cmp r14, r12 ; jae done
///   mov eax, 263 ; mov edi, -100 ; mov rsi, [rbx+8+r14*8] ; xor edx, edx ; syscall
///   test rax, rax ; jz next
///   mov eax, 263 ; mov edi, -100 ; mov rsi, [rbx+8+r14*8] ; mov edx, 0x200 ; syscall
/// next: inc r14 ; jmp loop
/// done: mov rdi, r13 ; mov eax, 60 ; syscall
/// ```
const X86_64_SWAP: &[u8] = &[
    0x48, 0x89, 0xe3, 0x4c, 0x8b, 0x23, 0x41, 0xbd, 0x16, 0x00, 0x00, 0x00, //
    0x49, 0x83, 0xfc, 0x03, 0x72, 0x53, 0xb8, 0x52, 0x00, 0x00, 0x00, 0x48, //
    0x8b, 0x7b, 0x10, 0x48, 0x8b, 0x73, 0x18, 0x0f, 0x05, 0x49, 0x89, 0xc5, //
    0x49, 0xf7, 0xdd, 0x41, 0xbe, 0x03, 0x00, 0x00, 0x00, 0x4d, 0x39, 0xe6, //
    0x73, 0x33, 0xb8, 0x07, 0x01, 0x00, 0x00, 0xbf, 0x9c, 0xff, 0xff, 0xff, //
    0x4a, 0x8b, 0x74, 0xf3, 0x08, 0x31, 0xd2, 0x0f, 0x05, 0x48, 0x85, 0xc0, //
    0x74, 0x16, 0xb8, 0x07, 0x01, 0x00, 0x00, 0xbf, 0x9c, 0xff, 0xff, 0xff, //
    0x4a, 0x8b, 0x74, 0xf3, 0x08, 0xba, 0x00, 0x02, 0x00, 0x00, 0x0f, 0x05, //
    0x49, 0xff, 0xc6, 0xeb, 0xc8, 0x4c, 0x89, 0xef, 0xb8, 0x3c, 0x00, 0x00, //
    0x00, 0x0f, 0x05,
];

/// aarch64, the same with `renameat` (38), `unlinkat` (35) and `exit` (93).
const AARCH64_SWAP: &[u32] = &[
    0xf940_03f3, // ldr x19, [sp]            ; argc
    0x9100_23f4, // add x20, sp, #8          ; argv
    0xd280_02d5, // mov x21, #22             ; EINVAL unless renamed
    0xf100_0e7f, // cmp x19, #3
    0x5400_0303, // b.lo done
    0x9280_0c60, // mov x0, #-100            ; AT_FDCWD
    0xf940_0681, // ldr x1, [x20, #8]        ; argv[1]
    0x9280_0c62, // mov x2, #-100
    0xf940_0a83, // ldr x3, [x20, #16]       ; argv[2]
    0xd280_04c8, // mov x8, #38              ; renameat
    0xd400_0001, // svc #0
    0xcb00_03f5, // neg x21, x0
    0xd280_0076, // mov x22, #3
    0xeb13_02df, // loop: cmp x22, x19
    0x5400_01c2, // b.hs done
    0x9280_0c60, // mov x0, #-100
    0xf876_7a81, // ldr x1, [x20, x22, lsl #3]
    0xd280_0002, // mov x2, #0
    0xd280_0468, // mov x8, #35              ; unlinkat
    0xd400_0001, // svc #0
    0xb400_00c0, // cbz x0, next
    0x9280_0c60, // mov x0, #-100
    0xf876_7a81, // ldr x1, [x20, x22, lsl #3]
    0xd280_4002, // mov x2, #0x200           ; AT_REMOVEDIR
    0xd280_0468, // mov x8, #35
    0xd400_0001, // svc #0
    0x9100_06d6, // next: add x22, x22, #1
    0x17ff_fff2, // b loop
    0xaa15_03e0, // done: mov x0, x21
    0xd280_0ba8, // mov x8, #93              ; exit
    0xd400_0001, // svc #0
];

/// A static executable of the machine code for `arch`; `Err(arch)` for an
/// architecture berth has no code for.
fn static_elf(arch: &str, x86_64: &[u8], aarch64: &[u32]) -> Result<Vec<u8>, String> {
    let (machine, code): (u16, Vec<u8>) = match arch {
        "x86_64" => (62, x86_64.to_vec()), // EM_X86_64
        "aarch64" => (
            183,
            aarch64.iter().flat_map(|word| word.to_le_bytes()).collect(),
        ), // EM_AARCH64
        other => return Err(other.to_string()),
    };
    let code_offset = u64::from(ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE);
    let file_size = code_offset + code.len() as u64;
    let mut elf = Vec::with_capacity(file_size as usize);
    // --- ELF header (64 bytes) ---
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F']); // e_ident[0..4]: magic
    elf.push(2); //                                    EI_CLASS: ELFCLASS64
    elf.push(1); //                                    EI_DATA: little-endian
    elf.push(1); //                                    EI_VERSION: current
    elf.push(0); //                                    EI_OSABI: System V
    elf.extend_from_slice(&[0; 8]); //                 EI_ABIVERSION and padding to 16 bytes
    elf.extend_from_slice(&2u16.to_le_bytes()); //     e_type: ET_EXEC, a fixed-address executable
    elf.extend_from_slice(&machine.to_le_bytes()); //  e_machine
    elf.extend_from_slice(&1u32.to_le_bytes()); //     e_version: current
    elf.extend_from_slice(&(LOAD_ADDRESS + code_offset).to_le_bytes()); // e_entry: the first instruction
    elf.extend_from_slice(&u64::from(ELF_HEADER_SIZE).to_le_bytes()); // e_phoff: program headers follow
    elf.extend_from_slice(&0u64.to_le_bytes()); //     e_shoff: no section headers
    elf.extend_from_slice(&0u32.to_le_bytes()); //     e_flags: none
    elf.extend_from_slice(&ELF_HEADER_SIZE.to_le_bytes()); // e_ehsize
    elf.extend_from_slice(&PROGRAM_HEADER_SIZE.to_le_bytes()); // e_phentsize
    elf.extend_from_slice(&1u16.to_le_bytes()); //     e_phnum: one program header
    elf.extend_from_slice(&64u16.to_le_bytes()); //    e_shentsize: the ELF64 size, though none follow
    elf.extend_from_slice(&0u16.to_le_bytes()); //     e_shnum: no sections
    elf.extend_from_slice(&0u16.to_le_bytes()); //     e_shstrndx: no section names
                                                // --- Program header (56 bytes): map the whole file, readable and executable ---
    elf.extend_from_slice(&1u32.to_le_bytes()); //     p_type: PT_LOAD
    elf.extend_from_slice(&5u32.to_le_bytes()); //     p_flags: PF_R | PF_X
    elf.extend_from_slice(&0u64.to_le_bytes()); //     p_offset: from the first byte of the file
    elf.extend_from_slice(&LOAD_ADDRESS.to_le_bytes()); // p_vaddr
    elf.extend_from_slice(&LOAD_ADDRESS.to_le_bytes()); // p_paddr (unused)
    elf.extend_from_slice(&file_size.to_le_bytes()); // p_filesz: the whole file
    elf.extend_from_slice(&file_size.to_le_bytes()); // p_memsz: no zeroed memory beyond it
    elf.extend_from_slice(&0x1000u64.to_le_bytes()); // p_align: the page size
                                                     // --- Code ---
    elf.extend_from_slice(&code);
    Ok(elf)
}

/// A root file system holding only `/pause` (mode 0755) for this machine.
pub fn pause_rootfs_tar() -> Result<Vec<u8>, String> {
    let elf = pause_elf(std::env::consts::ARCH)?;
    let mut tar = RootfsTar::new();
    tar.file("pause", 0o755, &elf)
        .map_err(|e| format!("cannot build the pause root file system: {e}"))?;
    tar.finish()
        .map_err(|e| format!("cannot build the pause root file system: {e}"))
}

/// The applets linked when `busybox --list-full` cannot be run.
const FALLBACK_APPLETS: &[&str] = &[
    "bin/sh",
    "bin/ash",
    "bin/cat",
    "bin/echo",
    "bin/ls",
    "bin/sleep",
    "bin/true",
    "bin/false",
    "bin/pwd",
    "bin/touch",
    "bin/mkdir",
    "bin/rm",
    "bin/cp",
    "bin/mv",
    "bin/ln",
    "bin/grep",
    "bin/hostname",
    "bin/ps",
    "bin/kill",
    "bin/date",
    "bin/chmod",
    "bin/sed",
    "bin/ping",
    "bin/netstat",
    "usr/bin/env",
    "usr/bin/tail",
    "usr/bin/head",
    "usr/bin/wget",
    "usr/bin/nc",
    "usr/bin/test",
    "usr/bin/[",
    "usr/bin/id",
    "usr/bin/wc",
    "usr/bin/nslookup",
    "usr/bin/seq",
    "usr/bin/tr",
    "usr/bin/yes",
    "usr/bin/awk",
    "usr/sbin/httpd",
    "sbin/ifconfig",
    "sbin/ip",
];

/// A minimal root file system around a static busybox: `/bin/busybox`, a
/// symlink per applet (from `busybox --list-full`), `/tmp`, `/root` and
/// `/etc/passwd`/`/etc/group` with root and nobody. Docker provides
/// `/etc/hosts`, `/etc/resolv.conf` and `/etc/hostname`.
pub fn busybox_rootfs_tar(busybox: &Path) -> std::io::Result<Vec<u8>> {
    let binary = std::fs::read(busybox)?;
    let applets = applet_paths(busybox);
    let mut tar = RootfsTar::new();
    for dir in [
        "bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "var", "var/www",
    ] {
        tar.dir(dir, 0o755)?;
    }
    tar.dir("tmp", 0o1777)?;
    tar.file("bin/busybox", 0o755, &binary)?;
    for applet in applets.iter().filter(|a| a.as_str() != "bin/busybox") {
        tar.symlink(applet, "/bin/busybox")?;
    }
    tar.file(
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
    )?;
    tar.file("etc/group", 0o644, b"root:x:0:\nnobody:x:65534:\n")?;
    tar.finish()
}

/// `bin/sh`, `usr/bin/wget` ...: every applet path busybox knows, in the
/// directories created by `busybox_rootfs_tar`.
fn applet_paths(busybox: &Path) -> Vec<String> {
    let listed = Command::new(busybox)
        .arg("--list-full")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let known_dir = |path: &String| {
        matches!(
            path.rsplit_once('/'),
            Some(("bin" | "sbin" | "usr/bin" | "usr/sbin", _))
        )
    };
    let applets: Vec<String> = listed.into_iter().filter(known_dir).collect();
    if applets.is_empty() {
        FALLBACK_APPLETS.iter().map(|a| a.to_string()).collect()
    } else {
        applets
    }
}

/// A static busybox on this machine (`/bin/busybox`, `/usr/bin/busybox`):
/// Debian's `busybox-static` installs one. A dynamically linked one is
/// refused: it could not run alone in an image.
pub fn find_busybox() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| {
            std::fs::read(path)
                .map(|bytes| is_static_elf(&bytes))
                .unwrap_or(false)
        })
}

/// A 64-bit little-endian ELF executable without a `PT_INTERP` program
/// header, i.e. one that needs no dynamic loader.
pub fn is_static_elf(bytes: &[u8]) -> bool {
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |at: usize| {
        bytes
            .get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    };
    if bytes.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1][..]) {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(32), u16_at(54), u16_at(56)) else {
        return false;
    };
    const PT_INTERP: u32 = 3;
    (0..phnum).all(|i| {
        let at = phoff as usize + i * phentsize;
        u32_at(at).is_some_and(|kind| kind != PT_INTERP)
    })
}

/// Imports `image` from the tar `make` builds, unless the engine has it.
/// Returns whether it imported.
pub async fn ensure_image<E: Engine>(
    engine: &E,
    image: &str,
    make: impl FnOnce() -> Result<Vec<u8>, String>,
    changes: &[String],
) -> Result<bool, EngineError> {
    if engine.image_exists(image).await? {
        return Ok(false);
    }
    let tar = make().map_err(|message| EngineError::Api {
        operation: format!("build image {image}"),
        message,
    })?;
    engine.import_image(tar, image, changes).await?;
    Ok(true)
}

/// An in-memory tar of a root file system, owned by root, dated 0.
struct RootfsTar {
    builder: tar::Builder<Vec<u8>>,
}

impl RootfsTar {
    fn new() -> Self {
        RootfsTar {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(size);
        header
    }

    fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> std::io::Result<()> {
        let mut header = Self::header(tar::EntryType::Regular, mode, data.len() as u64);
        self.builder.append_data(&mut header, path, data)
    }

    fn dir(&mut self, path: &str, mode: u32) -> std::io::Result<()> {
        let mut header = Self::header(tar::EntryType::Directory, mode, 0);
        self.builder
            .append_data(&mut header, format!("{path}/"), std::io::empty())
    }

    fn symlink(&mut self, path: &str, target: &str) -> std::io::Result<()> {
        let mut header = Self::header(tar::EntryType::Symlink, 0o777, 0);
        self.builder.append_link(&mut header, path, target)
    }

    fn finish(self) -> std::io::Result<Vec<u8>> {
        self.builder.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(tar: &[u8]) -> Vec<(String, u32, tar::EntryType)> {
        let mut archive = tar::Archive::new(tar);
        let entries = archive.entries().unwrap();
        entries
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                    e.header().entry_type(),
                )
            })
            .collect()
    }

    #[test]
    fn x86_64_pause_is_a_129_byte_static_executable() {
        let elf = pause_elf("x86_64").unwrap();
        assert_eq!(elf.len(), 129);
        assert!(is_static_elf(&elf));
        assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 62);
        let entry = u64::from_le_bytes(elf[24..32].try_into().unwrap());
        assert_eq!(entry, LOAD_ADDRESS + 120);
        assert_eq!(&elf[120..], X86_64_CODE);
    }

    #[test]
    fn aarch64_pause_has_aligned_code_and_its_own_machine() {
        let elf = pause_elf("aarch64").unwrap();
        assert_eq!(elf.len(), 120 + 32);
        assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 183);
        assert_eq!(elf.len() % 4, 0);
    }

    #[test]
    fn unknown_architectures_are_refused_by_name() {
        let error = pause_elf("riscv64").unwrap_err();
        assert!(error.contains("riscv64"), "{error}");
    }

    #[test]
    fn pause_rootfs_holds_one_executable() {
        let tar = pause_rootfs_tar().unwrap();
        assert_eq!(
            entries(&tar),
            vec![("pause".to_string(), 0o755, tar::EntryType::Regular)]
        );
    }

    #[test]
    fn a_dynamic_executable_is_not_static() {
        let mut elf = pause_elf("x86_64").unwrap();
        elf[64..68].copy_from_slice(&3u32.to_le_bytes());
        assert!(!is_static_elf(&elf));
        assert!(!is_static_elf(b"#!/bin/sh\n"));
    }

    #[test]
    fn busybox_rootfs_links_applets_to_the_binary() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("busybox");
        std::fs::write(&fake, b"not really busybox").unwrap();
        let tar = busybox_rootfs_tar(&fake).unwrap();
        let entries = entries(&tar);
        let find = |name: &str| {
            entries
                .iter()
                .find(|(path, ..)| path.trim_end_matches('/') == name)
                .cloned()
        };
        assert_eq!(find("bin/busybox").map(|e| e.1), Some(0o755));
        assert_eq!(find("bin/sh").map(|e| e.2), Some(tar::EntryType::Symlink));
        assert_eq!(
            find("usr/bin/wget").map(|e| e.2),
            Some(tar::EntryType::Symlink)
        );
        assert_eq!(find("tmp").map(|e| e.1), Some(0o1777));
        assert!(find("etc/passwd").is_some());
    }
}
