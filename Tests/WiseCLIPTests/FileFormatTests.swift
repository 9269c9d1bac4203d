import Foundation
import Testing
@testable import WiseCLIP

/// The safetensors reader, config reading and image decoding on bad input.
@Suite struct FileFormatTests {
    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "wiseclip-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func safetensors(header: String, data: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        var length = UInt64(json.count).littleEndian
        return withUnsafeBytes(of: &length) { Array($0) } + json + data
    }

    @Test func readsAllThreeDTypes() throws {
        // Given a file with the value 1.5 stored as f32, f16 and bf16
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[1],"data_offsets":[4,6]},"c":{"dtype":"BF16","shape":[1,1],"data_offsets":[6,8]},"__metadata__":{"format":"pt"}}"#
        let path = try temporaryFile(safetensors(header: header, data: [0, 0, 0xC0, 0x3F, 0x00, 0x3E, 0xC0, 0x3F]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        // When it is read
        let file = try SafetensorsFile(path: path)
        // Then each converts to 1.5 and the metadata is kept
        #expect(try file.floats("a") == [1.5])
        #expect(try file.floats("b") == [1.5])
        #expect(try file.floats("c") == [1.5])
        #expect(file.entries["c"]?.shape == [1, 1])
        #expect(file.metadata["format"] == "pt")
    }

    @Test func halfPrecisionSpecialValues() {
        // Given f16 bit patterns for a subnormal, the largest finite value, infinity and -0
        // Then they convert exactly
        #expect(SafetensorsFile.halfToFloat(0x0001) == Float(bitPattern: 0x3380_0000))
        #expect(SafetensorsFile.halfToFloat(0x7BFF) == 65504)
        #expect(SafetensorsFile.halfToFloat(0x7C00) == .infinity)
        #expect(SafetensorsFile.halfToFloat(0x8000).sign == .minus)
        #expect(SafetensorsFile.halfToFloat(0x7E00).isNaN)
    }

    @Test(arguments: [
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, "declares bytes"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, "declares bytes"),
        (#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, "only F32"),
        (#"{"a":{"dtype":"F32","shape":[1]}}"#, "lacks"),
        (#"[1,2]"#, "not a JSON object"),
    ])
    func rejectsMalformedHeaders(header: String, expected: String) throws {
        // Given a file whose header contradicts itself or its data
        let path = try temporaryFile(safetensors(header: header, data: [0, 0, 0, 0]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        // When it is opened, Then the error says what is wrong
        #expect { try SafetensorsFile(path: path) } throws: { error in
            (error as? CLIPError)?.message.contains(expected) == true
        }
    }

    @Test func rejectsHeaderLongerThanFile() throws {
        // Given a header length past the end of the file
        let path = try temporaryFile([0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D])
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Then opening fails as bad data
        #expect(throws: CLIPError.self) { try SafetensorsFile(path: path) }
        #expect(throws: CLIPError.self) { try SafetensorsFile(path: path + "-missing") }
    }

    @Test func readsPublishedConfigShapes() throws {
        // Given the shape of ViT-L/14-336 as its config.json states it (text defaults omitted)
        let json = #"{"projection_dim":768,"text_config":{"hidden_size":768,"intermediate_size":3072,"num_attention_heads":12,"eos_token_id":2},"vision_config":{"hidden_size":1024,"intermediate_size":4096,"num_attention_heads":16,"num_hidden_layers":24,"image_size":336,"patch_size":14}}"#
        // When it is read
        let config = try CLIPConfig(json: Data(json.utf8))
        // Then explicit fields and CLIP's defaults are both there
        #expect(config.gridSize == 24)
        #expect(config.vision.layers == 24)
        #expect(config.text.layers == 12)
        #expect(config.text.activation == .quickGELU)
        #expect(config.vocabularySize == 49408)
        #expect(config.projectionDim == 768)
        #expect(throws: CLIPError.self) { try CLIPConfig(json: Data(#"{"vision_config":{"hidden_act":"relu"}}"#.utf8)) }
    }

    @Test func decodesPNGAndJPEGHeaders() throws {
        // Given the fixture images
        let png = try RGBImage(contentsOf: Fixtures.image("gradient-37x23.png"))
        let jpeg = try RGBImage(contentsOf: Fixtures.image("mixed-50x33.jpg"))
        // Then their sizes are read and the pixels fill the buffer
        #expect((png.width, png.height) == (37, 23))
        #expect((jpeg.width, jpeg.height) == (50, 33))
        #expect(png.pixels.count == 37 * 23 * 3)
        #expect(Array(png.pixels.prefix(3)) == [0, 0, 0])
    }

    @Test func refusesBadImages() throws {
        let png = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("noise-rgba-64x48.png")))
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("large-211x300.jpg")))
        // Given a cut-off PNG and JPEG, a pixel cap below the image, and bytes that are no image
        // Then each is refused with a message, not a crash
        #expect { try RGBImage(decoding: png.prefix(png.count / 2)) } throws: { "\($0)".contains("PNG") }
        #expect { try RGBImage(decoding: jpeg.prefix(jpeg.count / 2)) } throws: { "\($0)".contains("JPEG") }
        #expect { try RGBImage(decoding: png, maxPixels: 1000) } throws: { "\($0)".contains("over the limit of 1000") }
        #expect { try RGBImage(decoding: Data("GIF89a".utf8)) } throws: { "\($0)".contains("not a PNG, JPEG or WebP") }
        #expect(throws: CLIPError.self) { try RGBImage(decoding: Data()) }
    }

    @Test func refusesDecompressionBombHeader() throws {
        // Given a PNG header declaring 100000 × 100000 pixels and no data
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        bytes += [0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 8, 2, 0, 0, 0]
        let ihdr = Array(bytes[12...])
        bytes += withUnsafeBytes(of: crc32(ihdr).bigEndian) { Array($0) }
        // When it is decoded, Then the cap stops it before any allocation
        #expect { try RGBImage(decoding: Data(bytes)) } throws: { "\($0)".contains("10000000000 pixels") }
    }

    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
