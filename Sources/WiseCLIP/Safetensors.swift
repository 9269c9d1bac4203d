import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `.safetensors` file, memory-mapped: a JSON header naming each tensor's dtype, shape and
/// byte range, then the raw little-endian data.
///
/// Tensors are converted to `Float` on request (`floats(_:)`); `release(_:)` then hands the
/// mapped pages of a tensor back to the kernel, so loading a model holds the file's bytes
/// about once, not twice. Not thread-safe while loading; load from one thread.
public final class SafetensorsFile {
    /// Element types this reader converts.
    public enum DType: String, Sendable {
        case f32 = "F32"
        case f16 = "F16"
        case bf16 = "BF16"

        var size: Int { self == .f32 ? 4 : 2 }
    }

    /// One tensor as the header declares it.
    public struct Entry: Sendable, Equatable {
        public var dtype: DType
        public var shape: [Int]
        /// Byte range within the data section (after the header).
        public var begin: Int
        public var end: Int
        public var count: Int { shape.reduce(1, *) }
    }

    /// The file it was read from.
    public let path: String
    /// Every tensor, by name.
    public let entries: [String: Entry]
    /// The `__metadata__` strings, if any.
    public let metadata: [String: String]

    private let base: UnsafeMutableRawPointer
    private let mappedLength: Int
    private let dataOffset: Int

    /// Maps `path` and reads its header; throws `CLIPError` naming the file and the problem.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let code = errno
            throw CLIPError(code == ENOENT ? .missingInput : .io, "\(path): cannot open: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CLIPError(.io, "\(path): cannot stat: \(String(cString: strerror(errno)))")
        }
        let length = Int(info.st_size)
        guard length >= 8 else {
            throw CLIPError(.badData, "\(path): \(length) bytes is too short for a safetensors file")
        }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw CLIPError(.io, "\(path): cannot map: \(String(cString: strerror(errno)))")
        }
        base = mapped
        mappedLength = length
        do {
            var headerLength: UInt64 = 0
            memcpy(&headerLength, mapped, 8)
            headerLength = UInt64(littleEndian: headerLength)
            guard headerLength <= UInt64(length - 8), headerLength <= 100 << 20 else {
                throw CLIPError(.badData, "\(path): header length \(headerLength) does not fit a \(length)-byte file")
            }
            dataOffset = 8 + Int(headerLength)
            let header = Data(bytes: mapped + 8, count: Int(headerLength))
            (entries, metadata) = try Self.parseHeader(header, dataLength: length - dataOffset, path: path)
        } catch {
            munmap(mapped, length)
            throw error
        }
    }

    deinit {
        munmap(base, mappedLength)
    }

    static func parseHeader(_ header: Data, dataLength: Int, path: String) throws -> ([String: Entry], [String: String]) {
        guard let object = try? JSONSerialization.jsonObject(with: header), let top = object as? [String: Any] else {
            throw CLIPError(.badData, "\(path): the header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in top {
            if name == "__metadata__" {
                for (key, text) in value as? [String: Any] ?? [:] { metadata[key] = text as? String ?? "\(text)" }
                continue
            }
            guard let fields = value as? [String: Any], let dtypeName = fields["dtype"] as? String,
                let shape = (fields["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                let offsets = (fields["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                offsets.count == 2, shape.count == (fields["shape"] as? [Any])?.count
            else {
                throw CLIPError(.badData, "\(path): tensor \(name) lacks a dtype, shape or data_offsets")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw CLIPError(.badData, "\(path): tensor \(name) is \(dtypeName); only F32, F16 and BF16 are read")
            }
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) < Int(Int32.max) * 4
            else {
                throw CLIPError(.badData, "\(path): tensor \(name) has shape \(shape)")
            }
            let entry = Entry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
            guard entry.begin >= 0, entry.begin <= entry.end, entry.end <= dataLength,
                entry.end - entry.begin == entry.count * dtype.size
            else {
                throw CLIPError(
                    .badData,
                    "\(path): tensor \(name) declares bytes \(entry.begin)..<\(entry.end) for \(entry.count) \(dtypeName) values in a \(dataLength)-byte data section")
            }
            entries[name] = entry
        }
        return (entries, metadata)
    }

    /// The tensor's entry, or an error naming what is missing.
    public func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else {
            throw CLIPError(.badData, "\(path): no tensor named \(name)")
        }
        return entry
    }

    /// Converts tensor `name` to `Float` into `destination`, which must hold `entry.count` values.
    public func convert(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        let entry = try entry(name)
        let source = UnsafeRawPointer(base + dataOffset + entry.begin)
        let count = entry.count
        switch entry.dtype {
        case .f32:
            // The data need not be 4-byte aligned, so copy bytes rather than load floats.
            memcpy(destination, source, count * 4)
            #if _endian(big)
            for i in 0..<count { destination[i] = Float(bitPattern: UInt32(littleEndian: destination[i].bitPattern)) }
            #endif
        case .f16:
            for i in 0..<count {
                destination[i] = Self.halfToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                destination[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        }
    }

    /// Tensor `name` as `Float` values.
    public func floats(_ name: String) throws -> [Float] {
        let count = try entry(name).count
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try convert(name, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// Drops the mapped pages that lie wholly inside tensor `name`; its bytes are read again
    /// from disk if asked for later.
    public func release(_ name: String) {
        guard let entry = entries[name] else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = dataOffset + entry.begin
        let alignedStart = (start + page - 1) / page * page
        let alignedEnd = (dataOffset + entry.end) / page * page
        if alignedEnd > alignedStart {
            madvise(base + alignedStart, alignedEnd - alignedStart, Int32(MADV_DONTNEED))
        }
    }

    /// IEEE 754 binary16 to binary32, exact for every value (subnormals, infinities, NaN).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x03FF)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa × 2^-24.
            let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)
            return Float(bitPattern: magnitude.bitPattern | sign)
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
