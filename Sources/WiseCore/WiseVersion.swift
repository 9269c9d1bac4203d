/// wise's version: what `wise --version` prints after "wise " and what reports name in their footers.
public let wiseVersion = "0.1.0"
