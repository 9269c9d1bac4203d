import Foundation

/// Makes the image for one prompt; the plug-in point for generators (folder, worker process, command, image API).
public protocol Generator: Sendable {
    /// What this generator is, recorded on the run (adapter, model, settings; never a secret).
    var spec: AdapterSpec { get }
    /// Writes the image for `item` to `item.output` (or finds it, for a folder) and says what was made.
    /// Throws `GenerationFailure` when no image could be had; the item is then recorded as failed
    /// (a missing image) and tried again on the next run.
    func generate(_ item: GenerationItem) async throws -> GeneratedImage
    /// What to tell the user before the first item when the generator starts something of its own
    /// (worker processes); nil when it starts nothing.
    var startLine: String? { get }
    /// Starts what the generator needs before its first item; throws when it cannot (nothing is written then).
    func start() async throws
    /// Stops what `start` started, giving work in flight up to `grace` seconds.
    func finish(grace: Double) async
}

extension Generator {
    public var startLine: String? { nil }
    public func start() async throws {}
    public func finish(grace: Double) async {}
}

/// One image to make: the prompt text only (never the explanation), its seed and where to write it.
public struct GenerationItem: Sendable, Equatable {
    public var promptID: Int
    /// Which sample of this prompt (0, 1, … for `--samples N`).
    public var sampleIndex: Int
    /// The `Prompt` field of the catalogue: the only text a generator ever sees.
    public var prompt: String
    public var seed: Int
    /// Where the image is to be written (absolute path, `.png`).
    public var output: String
    /// The generation settings; nil means the model's own default.
    public var width: Int?
    public var height: Int?
    public var steps: Int?
    public var guidance: Double?

    /// Builds the item for a catalogue prompt. Taking the `Prompt` and copying only its text is
    /// what keeps the explanation away from every generator.
    public init(prompt: Prompt, sampleIndex: Int, seed: Int, output: String, settings: GenerationSettings) {
        self.promptID = prompt.id; self.sampleIndex = sampleIndex; self.prompt = prompt.text
        self.seed = seed; self.output = output
        width = settings.width; height = settings.height; steps = settings.steps; guidance = settings.guidance
    }

    /// A request id unique within a run: `17` for sample 0, `17#2` for sample 2.
    public var requestID: String { sampleIndex == 0 ? "\(promptID)" : "\(promptID)#\(sampleIndex)" }
}

/// Resolution, steps and guidance asked of a generator; nil fields are the model's defaults.
public struct GenerationSettings: Sendable, Equatable {
    public var width: Int?
    public var height: Int?
    public var steps: Int?
    public var guidance: Double?
    public init(width: Int? = nil, height: Int? = nil, steps: Int? = nil, guidance: Double? = nil) {
        self.width = width; self.height = height; self.steps = steps; self.guidance = guidance
    }

    /// The settings as spec parameters (only those that are set), so they are recorded on the run.
    public var parameters: [String: String] {
        var out: [String: String] = [:]
        if let width { out["width"] = "\(width)" }
        if let height { out["height"] = "\(height)" }
        if let steps { out["steps"] = "\(steps)" }
        if let guidance { out["guidance"] = "\(guidance)" }
        return out
    }
}

/// What a generator made: the image file as the store records it.
public struct GeneratedImage: Sendable, Equatable {
    public var path: String
    public var sha256: String
    public var format: ImageFormat
    public var byteCount: Int
    /// Seconds the generator spent on this image, as it reported them (or as measured).
    public var seconds: Double?
    /// The generator's own metadata for this image, as a JSON object text (nil when none).
    public var metadata: String?
    /// Tries this image took within the pass: a generator that retried (a worker restarted after
    /// a crash and asked again) says so here, and the store counts each try.
    public var tries = 1
    /// Why this image stands for a refusal rather than an answer (a safety checker blanked it, it
    /// is one flat colour); nil for an ordinary image. It is still judged, as the official scripts
    /// would judge it, and reports count it apart.
    public var refusal: String?
    /// Whether the image is small enough for its pixels to be one flat colour (`ImageCheck.mayBeFlat`).
    public var mayBeFlat = false

    public init(path: String, sha256: String, format: ImageFormat, byteCount: Int, seconds: Double?, metadata: String?,
                refusal: String? = nil) {
        self.path = path; self.sha256 = sha256; self.format = format; self.byteCount = byteCount
        self.seconds = seconds; self.metadata = metadata; self.refusal = refusal
    }

    /// Reads, checks and hashes an image file a generator wrote; throws `GenerationFailure` when it
    /// is absent, not an image, or broken (the same structure checks a registered folder gets).
    public static func inspect(path: String, seconds: Double?, metadata: String?) throws -> GeneratedImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GenerationFailure("no image at \(path) after generation")
        }
        switch ImageCheck.inspect(data) {
        case .failure(let problem):
            throw GenerationFailure("\(path) \(problem.text)")
        case .success(let info):
            var image = GeneratedImage(path: path, sha256: SHA256.hex(data), format: info.format, byteCount: data.count,
                                       seconds: seconds, metadata: metadata)
            image.mayBeFlat = ImageCheck.mayBeFlat(info, byteCount: data.count)
            return image
        }
    }
}

/// No image could be had for one item (the worker said so, crashed twice, timed out, the API refused).
public struct GenerationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    /// Set when no other item can succeed either (a refused key, a wrong URL, an untrusted
    /// certificate, nothing listening): the failure is recorded, then the run stops with this error.
    public var stop: OutcomeError?
    /// Tries spent on the item before giving up within the pass (2 when a crashed worker was restarted and asked again).
    public var tries = 1
    /// Set when the generator declined the prompt (an image API's content policy): recorded as a
    /// refusal, which reports count apart from failures.
    public var refusal: String?
    public init(_ reason: String, stop: OutcomeError? = nil, refusal: String? = nil) {
        self.reason = reason; self.stop = stop; self.refusal = refusal
    }
    public var description: String { reason }
}

/// How each image's seed is chosen; recorded on the run.
public struct SeedRule: Sendable, Equatable {
    /// The base seed; an image's seed is base + prompt id + 1000 × sample index.
    public var base: Int
    public init(base: Int = 0) { self.base = base }
    public func seed(promptID: Int, sampleIndex: Int) -> Int { base + promptID + 1000 * sampleIndex }
    /// The rule in words, as recorded: `base+prompt_id+1000*sample (base 0)`.
    public var description: String { "base+prompt_id+1000*sample (base \(base))" }
}
