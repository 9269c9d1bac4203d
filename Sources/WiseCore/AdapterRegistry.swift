/// A plug-in's maker: the name users type, one line saying what it is, and (in its refinements
/// `JudgeFactory` and `GeneratorFactory`) how it is built from its own options.
///
/// An adapter's options type is its factory: a small value holding the adapter's settings, with
/// their help texts, that knows how to make the adapter.
public protocol AdapterFactory {
    /// The name users give (`--judge clip`, `--generator worker`).
    static var adapterName: String { get }
    /// One line for help texts: what the adapter is.
    static var summary: String { get }
}

/// The one registry mechanism of both plug-in points: names to factories, with "did you mean".
public struct AdapterRegistry<Factory> {
    /// What the registry holds, as a message names it: "judge", "generator".
    public let kind: String
    /// The registered adapters, in registration order.
    public let entries: [(name: String, factory: Factory)]

    public init(kind: String, entries: [(name: String, factory: Factory)]) {
        self.kind = kind; self.entries = entries
    }

    /// The registered adapter names, in registration order.
    public var names: [String] { entries.map(\.name) }

    /// The factory of `name`, or a usage error listing the names and the closest one.
    public func factory(named name: String) throws -> Factory {
        guard let entry = entries.first(where: { $0.name == name.lowercased() }) else {
            throw UsageError("unknown \(kind) '\(name)'\(didYouMean(name, among: names)); the \(kind)s are \(names.joined(separator: ", "))")
        }
        return entry.factory
    }
}
