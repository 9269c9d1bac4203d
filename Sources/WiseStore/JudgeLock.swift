import Foundation
import WiseCore

/// Keeps two judging processes off the same store at once, so no item is paid for twice.
///
/// It is an advisory `flock` on a file beside the store (`wise.sqlite.judge-lock`); the kernel
/// drops it when the process ends, however it ends, so a killed run never leaves a stale lock.
public final class JudgeLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock for a store path, or throws at once when another process holds it.
    public init(storePath: String) throws {
        let path = storePath + ".judge-lock"
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
