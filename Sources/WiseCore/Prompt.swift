/// One WISE prompt as the catalogue holds it, tied to the set it came from.
public struct Prompt: Sendable, Equatable, Codable {
    public var set: PromptSet
    public var id: Int
    /// The scored category, decided by the id range of the set (not by the file's `Category` field).
    public var category: Category
    /// The file's own `Category` text, kept as it is (it has quirks such as `time` and `Ecology`).
    public var categoryLabel: String
    public var subcategory: String
    /// The domain file the prompt came from, e.g. `cultural_common_sense`.
    public var domain: String
    public var text: String { didSet { rehash() } }
    public var explanation: String { didSet { rehash() } }

    private mutating func rehash() { textHash = SHA256.hex(text + "\u{0}" + explanation) }

    public init(set: PromptSet, id: Int, category: Category, categoryLabel: String, subcategory: String,
                domain: String, text: String, explanation: String) {
        self.set = set; self.id = id; self.category = category; self.categoryLabel = categoryLabel
        self.subcategory = subcategory; self.domain = domain; self.text = text; self.explanation = explanation
        self.textHash = SHA256.hex(text + "\u{0}" + explanation)
    }

    /// A hash of what a judge sees of this prompt (its text and explanation).
    public private(set) var textHash: String
}
