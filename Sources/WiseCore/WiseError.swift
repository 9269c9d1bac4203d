/// An error a user can act on: one line saying what happened, where, and how to fix it.
///
/// Every error carries a `kind`; only the executable's `main` turns a kind into an exit status
/// (`ErrorKind.exitStatus`), so library code never decides how the process ends.
public protocol WiseError: Error, CustomStringConvertible, Sendable {
    /// What sort of failure this is.
    var kind: ErrorKind { get }
}

/// What sort of failure an error is; `main` maps each kind to one exit status.
public enum ErrorKind: String, Sendable, CaseIterable {
    /// The user asked for something that does not exist or cannot be combined.
    case usage
    /// Input data (a catalogue, score file, image, store) is malformed.
    case badData
    /// A file, folder, store or run that the command needs is not there.
    case missingInput
    /// A server or another process is unavailable (network, lock, judge).
    case unavailable
    /// An output file or folder cannot be created.
    case cannotCreate
    /// Reading or writing failed.
    case io
    /// A bug in wise.
    case software

    /// The sysexits-style exit status for this kind; used by `main` only.
    public var exitStatus: Int32 {
        switch self {
        case .usage: return 64
        case .badData: return 65
        case .missingInput: return 66
        case .unavailable: return 69
        case .software: return 70
        case .cannotCreate: return 73
        case .io: return 74
        }
    }
}

/// The user asked for something that does not exist or cannot be combined.
public struct UsageError: WiseError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var kind: ErrorKind { .usage }
}

/// Input data (a catalogue file, a score file, an image) is malformed.
public struct DataError: WiseError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var kind: ErrorKind { .badData }
}

/// A file or directory could not be read or written.
public struct FileError: WiseError {
    public var message: String
    public var kind: ErrorKind
    public init(_ message: String, kind: ErrorKind = .io) { self.message = message; self.kind = kind }
    public var description: String { message }
}

/// Suggests the closest name for a typo: " (did you mean 'legacy'?)", or "" when nothing is close.
public func didYouMean(_ input: String, among names: [String]) -> String {
    let lowered = input.lowercased()
    let scored = names.map { ($0, editDistance(lowered, $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, best.0.count / 3) else { return "" }
    return " (did you mean '\(best.0)'?)"
}

/// Levenshtein distance between two strings.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
