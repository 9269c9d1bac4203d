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
/// `expected`" and "cannot read `noun` PATH: reason". At most `maxBytes` are read: a larger file
/// (or an endless one such as a device) is refused without being read whole.
public func readUserFile(_ path: String, noun: String, expected: String, missingHint: String = "",
                         readFailure: ErrorKind = .missingInput, maxBytes: Int = 256 << 20) throws -> Data {
    var data = Data()
    try forEachChunk(ofUserFile: path, noun: noun, expected: expected, missingHint: missingHint,
                     readFailure: readFailure, maxBytes: maxBytes) { data.append($0) }
    return data
}

/// Calls `body` with each line of a user's file (LF or CRLF endings, the ending removed) and its
/// 1-based number, reading a megabyte at a time, so line 1 is checked before the rest is read.
public func forEachLine(ofUserFile path: String, noun: String, expected: String, maxBytes: Int, maxLineBytes: Int = 1 << 20,
                        _ body: (Data, Int) throws -> Void) throws {
    var pending = Data()
    var number = 0
    func emit(_ line: Data) throws {
        number += 1
        try body(line.last == UInt8(ascii: "\r") ? line.dropLast() : line, number)
    }
    try forEachChunk(ofUserFile: path, noun: noun, expected: expected, maxBytes: maxBytes) { chunk in
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
            pending.append(chunk[start..<newline])
            try emit(pending)
            pending = Data()
            start = newline + 1
        }
        pending.append(chunk[start...])
        guard pending.count <= maxLineBytes else {
            throw DataError("\(noun.isEmpty ? path : "\(noun) \(path)"):\(number + 1): a line longer than \(maxLineBytes >> 20) MiB; expected \(expected)")
        }
    }
    if !pending.isEmpty { try emit(pending) }
}

/// Reads a user's file a megabyte at a time, refusing it once it passes `maxBytes`.
func forEachChunk(ofUserFile path: String, noun: String, expected: String, missingHint: String = "",
                  readFailure: ErrorKind = .missingInput, maxBytes: Int, _ body: (Data) throws -> Void) throws {
    let named = noun.isEmpty ? path : "\(noun) \(path)"
    switch PathKind(path) {
    case .missing: throw FileError("\(named) does not exist\(missingHint)", kind: .missingInput)
    case .directory: throw FileError("\(named) is a directory, expected \(expected)", kind: .missingInput)
    case .file: break
    }
    let tooLarge = DataError("\(named) is larger than \(maxBytes >> 20) MiB, more than \(expected) can be; refusing to read it")
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maxBytes { throw tooLarge }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw FileError("cannot read \(named): permission denied or unreadable", kind: readFailure)
    }
    defer { try? handle.close() }
    var total = 0
    while true {
        let chunk: Data
        do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
            throw FileError("cannot read \(named): \(error.localizedDescription)", kind: readFailure)
        }
        if chunk.isEmpty { return }
        total += chunk.count
        if total > maxBytes { throw tooLarge }
        try body(chunk)
    }
}
