import Foundation
import WiseCore

/// Keeps two judging processes off the same store at once, so no item is paid for twice.
///
/// It is an advisory `flock` on a file beside the store (`wise.sqlite.judge-lock`); the kernel
/// drops it when the process ends, however it ends, so a killed run never leaves a stale lock.
/// The lock is keyed on the store's real path (symlinks and `..` resolved), so two spellings of
/// one store share one lock.
public final class JudgeLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock for a store path, or throws at once when another process holds it.
    public init(storePath: String) throws {
        let path = realPath(storePath) + ".judge-lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError("cannot create the judging lock \(path): \(String(cString: strerror(errno)))", kind: .cannotCreate)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw StoreError("another wise process is judging with store \(storePath); wait for it to finish (judging the same items twice would pay for them twice)", kind: .unavailable)
        }
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// A path with symlinks, `.` and `..` resolved (the path as given when it cannot be resolved).
public func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return URL(fileURLWithPath: path).standardizedFileURL.path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Whether two paths name one file: the same device and inode when both exist (symlinks, hard
/// links, `..` and relative spellings all resolve), else the same resolved path.
public func isSameFile(_ a: String, _ b: String) -> Bool {
    var sa = stat(), sb = stat()
    if stat(a, &sa) == 0, stat(b, &sb) == 0 { return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino }
    return realPath(a) == realPath(b)
}
