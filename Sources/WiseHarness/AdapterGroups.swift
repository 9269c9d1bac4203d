import ArgumentParser
import WiseCore

/// An option group whose value is an adapter's factory: what lets `JudgeAdapters` and
/// `GeneratorAdapters` be their own registries, one option group a line.
protocol AdapterOptionGroup {
    /// The factory type the group holds (known before parsing, for help texts).
    static var factoryType: any AdapterFactory.Type { get }
    /// The parsed options, which make the adapter.
    var factory: any AdapterFactory { get }
}

extension OptionGroup: AdapterOptionGroup where Value: AdapterFactory {
    static var factoryType: any AdapterFactory.Type { Value.self }
    var factory: any AdapterFactory { wrappedValue }
}

/// The adapter factory types an options type declares as option groups, in declaration order.
func adapterTypes(of options: some ParsableArguments) -> [any AdapterFactory.Type] {
    Mirror(reflecting: options).children.compactMap { (type(of: $0.value) as? any AdapterOptionGroup.Type)?.factoryType }
}

/// The registry of the parsed adapter options an options value holds: each option group whose
/// value is a `Factory` is an entry, named by its `adapterName`.
public func registry<Factory>(of options: some ParsableArguments, kind: String, as: Factory.Type) -> AdapterRegistry<Factory> {
    let entries = Mirror(reflecting: options).children.compactMap { ($0.value as? any AdapterOptionGroup)?.factory }
        .compactMap { factory in (factory as? Factory).map { (name: type(of: factory).adapterName, factory: $0) } }
    return AdapterRegistry(kind: kind, entries: entries)
}
