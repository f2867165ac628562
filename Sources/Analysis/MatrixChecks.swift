import Engine

// Shape checks for the public entry points of this module. They use `fatalError`, not `precondition`: the module
// builds with -Ounchecked in release, which compiles preconditions out, and a wrong shape here would read out of
// bounds instead of stopping with a message.

/// The (rows, columns) of a rank-2 tensor, or a stop that names the caller, the expected and the actual shape.
@usableFromInline
func matrixShape(_ t: Tensor, _ who: String, _ what: String = "x") -> (rows: Int, columns: Int) {
    guard t.shape.count == 2 else { fatalError("\(who): \(what) must be a matrix [n, d], got shape \(t.shape)") }
    return (t.shape[0], t.shape[1])
}

/// Stops with "who: expected …, got …" unless `ok`.
@usableFromInline
func require(_ ok: Bool, _ who: String, _ message: @autoclosure () -> String) {
    if !ok { fatalError("\(who): \(message())") }
}

/// Checks that `labels` has one entry per row.
func requireLabels(_ labels: [Int], rows: Int, _ who: String) {
    require(labels.count == rows, who, "expected \(rows) labels (one per row), got \(labels.count)")
}
