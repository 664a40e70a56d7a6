extension ConfigLoader {
    /// Where the value of `keyPath` (e.g. ["model", "path"]) stands in the config file at `path`,
    /// for a problem found after the file loaded (the model file it names does not fit), so that
    /// it too is reported as FILE:LINE:COLUMN. nil when the file or key cannot be found.
    public static func valuePosition(of keyPath: [String], inFile path: String) -> SourcePosition? {
        guard case .success(let text) = readText(path), let root = try? TOMLParser.parse(text),
              let last = keyPath.last else { return nil }
        var table = root
        for key in keyPath.dropLast() {
            guard case .table(let next)? = table[key]?.value else { return nil }
            table = next
        }
        return table[last]?.position
    }
}
