/// An error a user can act on: one line saying what happened, where, and how to fix it.
public protocol WiseError: Error, CustomStringConvertible, Sendable {
    /// The process exit status this error maps to (sysexits-style).
    var exitCode: Int32 { get }
}

/// Exit statuses shared by every command (after BSD sysexits).
public enum ExitStatus {
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    public static let noInput: Int32 = 66
    public static let software: Int32 = 70
    public static let cannotCreate: Int32 = 73
    public static let ioError: Int32 = 74
    public static let unavailable: Int32 = 69
}

/// The user asked for something that does not exist or cannot be combined.
public struct UsageError: WiseError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var exitCode: Int32 { ExitStatus.usage }
}

/// Input data (a catalogue file, a score file, an image) is malformed.
public struct DataError: WiseError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var exitCode: Int32 { ExitStatus.dataError }
}

/// A file or directory could not be read or written.
public struct FileError: WiseError {
    public var message: String
    public var exitCode: Int32
    public init(_ message: String, exitCode: Int32 = ExitStatus.ioError) { self.message = message; self.exitCode = exitCode }
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
