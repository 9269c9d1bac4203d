import Foundation

/// What stands at a path: nothing, a file, or a directory.
public enum PathKind: Sendable, Equatable {
    case missing, file, directory

    public init(_ path: String) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            self = .missing
        } else {
            self = isDirectory.boolValue ? .directory : .file
        }
    }
}

/// Reads a file the user pointed at, turning a missing path, a directory or a read error into one clear line.
///
/// Messages read "`noun` PATH does not exist`missingHint`", "`noun` PATH is a directory, expected
/// `expected`" and "cannot read `noun` PATH: reason".
public func readUserFile(_ path: String, noun: String, expected: String, missingHint: String = "",
                         readFailure: ErrorKind = .missingInput) throws -> Data {
    let named = noun.isEmpty ? path : "\(noun) \(path)"
    switch PathKind(path) {
    case .missing: throw FileError("\(named) does not exist\(missingHint)", kind: .missingInput)
    case .directory: throw FileError("\(named) is a directory, expected \(expected)", kind: .missingInput)
    case .file: break
    }
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw FileError("cannot read \(named): \(error.localizedDescription)", kind: readFailure)
    }
}
