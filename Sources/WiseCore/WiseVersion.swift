/// wise's own version, as `wise --version`, reports and bundles state it.
public enum WiseVersion {
    public static let current = "0.1.0"
}
