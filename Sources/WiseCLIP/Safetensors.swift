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

    /// Tensors of more dimensions than this are refused (CLIP's have at most four).
    static let maxRank = 8

    /// One header field as written: a tensor's dtype, shape and byte range.
    private struct TensorHeader: Decodable {
        var dtype: String
        var shape: [JSONInteger]
        var data_offsets: [JSONInteger]
    }

    /// The header: tensors by name, plus the optional `__metadata__` strings.
    private struct Header: Decodable {
        var tensors: [String: TensorHeader] = [:]
        var metadata: [String: String] = [:]

        struct Name: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Name.self)
            for key in container.allKeys {
                if key.stringValue == "__metadata__" {
                    // Metadata is informative only; a writer that put non-strings there is tolerated.
                    metadata = (try? container.decode([String: String].self, forKey: key)) ?? [:]
                    continue
                }
                do {
                    tensors[key.stringValue] = try container.decode(TensorHeader.self, forKey: key)
                } catch {
                    throw CLIPError(.badData, "tensor \(key.stringValue) lacks a dtype, shape or data_offsets of the right JSON types")
                }
            }
        }
    }

    /// Reads the JSON header and checks every entry against the data section with overflow-
    /// checked arithmetic, so no later read can leave the mapping. Codable: the header is
    /// read once per load and takes well under a millisecond for a few hundred tensors.
    static func parseHeader(_ header: Data, dataLength: Int, path: String) throws -> ([String: Entry], [String: String]) {
        let top: Header
        do {
            top = try decodeJSON(Header.self, from: header, file: path)
        } catch let error as CLIPError {
            throw CLIPError(error.kind, error.message.replacingOccurrences(of: "\(path): ", with: "\(path): the header is not a JSON object of tensors: ", options: .anchored))
        }
        var entries: [String: Entry] = [:]
        for (name, header) in top.tensors {
            let fields = (dtype: header.dtype, shape: header.shape.map(\.value), data_offsets: header.data_offsets.map(\.value))
            guard let dtype = DType(rawValue: fields.dtype) else {
                throw CLIPError(.badData, "\(path): tensor \(name) is \(fields.dtype); only F32, F16 and BF16 are read")
            }
            guard fields.data_offsets.count == 2 else {
                throw CLIPError(.badData, "\(path): tensor \(name) has data_offsets \(fields.data_offsets); expected [begin, end]")
            }
            guard fields.shape.count <= maxRank, let count = checkedCount(fields.shape), let bytes = checkedProduct(count, dtype.size) else {
                throw CLIPError(.badData, "\(path): tensor \(name) has shape \(fields.shape), which is not a list of at most \(maxRank) sizes ≥ 0 with a product that fits in memory")
            }
            let entry = Entry(dtype: dtype, shape: fields.shape, begin: fields.data_offsets[0], end: fields.data_offsets[1])
            guard entry.begin >= 0, entry.begin <= entry.end, entry.end <= dataLength, entry.end - entry.begin == bytes else {
                throw CLIPError(
                    .badData,
                    "\(path): tensor \(name) declares bytes \(entry.begin)..<\(entry.end) for \(count) \(fields.dtype) values in a \(dataLength)-byte data section")
            }
            entries[name] = entry
        }
        return (entries, top.metadata)
    }

    /// The product of `shape`, or nil when a size is negative or the product overflows.
    static func checkedCount(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            guard size >= 0, let next = checkedProduct(count, size) else { return nil }
            count = next
        }
        return count
    }

    /// a × b, or nil on overflow.
    static func checkedProduct(_ a: Int, _ b: Int) -> Int? {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : product
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
