import Foundation
import Synchronization
import Testing
import WiseCore
@testable import WiseCLIP
@testable import WiseJudges

/// A hasher that counts the bytes it hashed, to see what the digest cache saves.
final class CountingHasher: Sendable {
    let bytes = Mutex(0)

    func hex(_ data: Data) -> String {
        bytes.withLock { $0 += data.count }
        return SHA256.hex(data)
    }
}

/// A CLIP judge is identified by the content of its model's files, not the folder's name.
@Suite struct ModelIdentityTests {
    /// Writes `folder` to `<fresh temp>/<name>` and returns the path.
    func place(_ folder: ModelFolder, named name: String) throws -> String {
        let parent = ModelFolder.temporaryDirectory()
        return try folder.write(to: parent + "/" + name)
    }

    func judge(_ directory: String, head: AestheticHead? = nil, hasher: CountingHasher = CountingHasher(), cache: Bool = false) throws -> CLIPJudge {
        let model = try CLIPModel(directory: directory, threads: 1)
        return try CLIPJudge(
            model: model, modelName: (directory as NSString).lastPathComponent,
            calibration: .defaults(for: .legacy, aestheticHead: head != nil), aestheticHead: head, hash: hasher.hex, digestCache: cache)
    }

    func remove(_ directory: String) {
        try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent)
    }

    @Test func sameFolderNameWithOtherWeightsIsAnotherJudge() throws {
        // Given two folders called clip-model, one holding f32 weights and one the f16 model
        let a = try place(try ModelFolder.fixture("tiny-quick"), named: "clip-model")
        let b = try place(try ModelFolder.fixture("tiny-quick-f16"), named: "clip-model")
        defer { remove(a); remove(b) }
        // When a judge is made over each
        let first = try judge(a), second = try judge(b)
        // Then their specs differ, and so does the weights' digest, while the config's is the same
        #expect(first.spec.key != second.spec.key)
        #expect(first.identity.files["model.safetensors"] != second.identity.files["model.safetensors"])
        #expect(first.spec.parameters["model"] == "sha256:" + first.identity.digest)
    }

    @Test func sameContentInAnotherFolderIsTheSameJudge() throws {
        // Given the same files in folders of different names
        let a = try place(try ModelFolder.fixture(), named: "openai-clip")
        let b = try place(try ModelFolder.fixture(), named: "my-copy")
        defer { remove(a); remove(b) }
        // When a judge is made over each, Then the spec is the same and only the shown name differs
        let first = try judge(a), second = try judge(b)
        #expect(first.spec == second.spec)
        #expect(first.identity == second.identity)
        #expect(first.evidence([:]).servedModel == "openai-clip")
        #expect(Set(first.identity.files.keys) == Set(CLIPModelIdentity.modelFiles))
    }

    @Test func changingAnyFileChangesTheIdentity() throws {
        // Given a model folder and its identity, with the digest cache on
        let base = try ModelFolder.fixture()
        let directory = try place(base, named: "clip")
        defer { remove(directory) }
        let before = try CLIPModelIdentity(directory: directory, hash: { SHA256.hex($0) })
        // When one weight changes in place, size and modification time kept
        var changed = base
        changed.setFloat("logit_scale", 0, 2.5)
        let weights = directory + "/model.safetensors"
        let modified = try FileManager.default.attributesOfItem(atPath: weights)[.modificationDate] as! Date
        try Data(changed.weights).write(to: URL(fileURLWithPath: weights))
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: weights)
        let afterWeights = try CLIPModelIdentity(directory: directory, hash: { SHA256.hex($0) })
        // Then the identity changes (the status-change time moved, so the cache is not trusted)
        #expect(afterWeights.digest != before.digest)
        #expect(afterWeights.files["model.safetensors"] != before.files["model.safetensors"])
        #expect(afterWeights.files["config.json"] == before.files["config.json"])
        // And so it does for the vocabulary, the merges and the preprocessor, and when the preprocessor goes
        var last = afterWeights
        for (name, text) in [("vocab.json", base.vocabulary.text + " "), ("merges.txt", base.merges + "x y\n"), ("preprocessor_config.json", base.preprocessor.text + "\n")] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
            let next = try CLIPModelIdentity(directory: directory, hash: { SHA256.hex($0) })
            #expect(next.digest != last.digest, "after changing \(name)")
            #expect(next.files[name] != last.files[name])
            last = next
        }
        try FileManager.default.removeItem(atPath: directory + "/preprocessor_config.json")
        let withoutPreprocessor = try CLIPModelIdentity(directory: directory, hash: { SHA256.hex($0) })
        #expect(withoutPreprocessor.files["preprocessor_config.json"] == nil)
        #expect(withoutPreprocessor.digest != last.digest)
    }

    @Test func theDigestCacheSkipsUnchangedFiles() throws {
        // Given a model folder hashed once with the cache on
        let directory = try place(try ModelFolder.fixture(), named: "clip")
        defer { remove(directory) }
        // (files just written count as settled here; see DigestCache.racyWindow)
        let hasher = CountingHasher()
        func identify() throws -> CLIPModelIdentity { try CLIPModelIdentity(directory: directory, hash: hasher.hex, cache: true, racyWindow: -60) }
        let first = try identify()
        let firstBytes = hasher.bytes.withLock { $0 }
        #expect(FileManager.default.fileExists(atPath: directory + "/" + DigestCache.fileName))
        // When it is identified again
        let second = try identify()
        // Then the digests are the same and only the small list of digests was hashed
        #expect(second == first)
        let secondBytes = hasher.bytes.withLock { $0 } - firstBytes
        #expect(secondBytes < 1000 && firstBytes > 300_000)
        // And a cache file that lies about a digest is believed only while the file's record fits
        let cachePath = directory + "/" + DigestCache.fileName
        var contents = try JSONDecoder().decode(DigestCache.Contents.self, from: Data(contentsOf: URL(fileURLWithPath: cachePath)))
        contents.files["config.json"]?.size += 1
        contents.files["config.json"]?.sha256 = String(repeating: "0", count: 64)
        try JSONEncoder().encode(contents).write(to: URL(fileURLWithPath: cachePath))
        #expect(try identify() == first)
        // And an unreadable cache file is ignored
        try Data("not json".utf8).write(to: URL(fileURLWithPath: cachePath))
        #expect(try identify() == first)
        // And with the default window, files written a moment ago are hashed every time
        try FileManager.default.removeItem(atPath: cachePath)
        _ = try CLIPModelIdentity(directory: directory, hash: hasher.hex)
        #expect(!FileManager.default.fileExists(atPath: cachePath))
    }

    @Test func theAestheticHeadIsPartOfTheIdentity() throws {
        // Given a model and two heads that differ in one bias
        let directory = try place(try ModelFolder.fixture(), named: "clip")
        defer { remove(directory) }
        let weights: [Float] = (0..<24).map { Float($0) / 24 }
        let one = try CLIPJudgeTests().writeSafetensors([("layers.0.weight", [1, 24], weights), ("layers.0.bias", [1], [0])])
        let two = try CLIPJudgeTests().writeSafetensors([("layers.0.weight", [1, 24], weights), ("layers.0.bias", [1], [1])])
        defer { try? FileManager.default.removeItem(atPath: one); try? FileManager.default.removeItem(atPath: two) }
        // When judges are made with each head and with none
        let plain = try judge(directory)
        let withOne = try judge(directory, head: try AestheticHead(path: one, embeddingWidth: 24))
        let withTwo = try judge(directory, head: try AestheticHead(path: two, embeddingWidth: 24))
        // Then all three are different judges, and the head's digest is in the spec
        #expect(Set([plain.spec.key, withOne.spec.key, withTwo.spec.key]).count == 3)
        #expect(withOne.spec.parameters["aesthetic_head"] == "sha256:" + withOne.identity.files["aesthetic_head"]!)
    }

    @Test func aMissingFileIsMissingInput() throws {
        // Given a folder without merges.txt
        let directory = try place(try ModelFolder.fixture(), named: "clip")
        defer { remove(directory) }
        try FileManager.default.removeItem(atPath: directory + "/merges.txt")
        // Then identifying it says which file is missing
        #expect { try CLIPModelIdentity(directory: directory, hash: { SHA256.hex($0) }) } throws: {
            ($0 as? CLIPError)?.kind == .missingInput && "\($0)".contains("merges.txt: cannot read it to hash it")
        }
    }
}
