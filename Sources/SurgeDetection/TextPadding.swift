extension String {
    /// The text filled with spaces to `width` characters, on the right (a left-aligned column)
    /// or on the left (`left`: a right-aligned one); text already as wide is left as it is.
    public func padded(to width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - count))
        return left ? fill + self : self + fill
    }
}
