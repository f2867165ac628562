import Engine

/// L2-normalises consecutive blocks of axis 1 separately, each with its own learned per-unit scale:
/// y = [γ_old · x_old / ‖x_old‖, γ_new · x_new / ‖x_new‖] (the paper's Eqs. 1–2, applied where a layer
/// reads two blocks that nothing normalised before, e.g. WWA's FC7+ reading [FC6, FC6+]).
///
/// Shapes: x [N, ΣC_b] or [N, ΣC_b, H, W] → y of the same shape. Children: one `L2NormScale` per block,
/// named `old_norm`, `new_norm` (two blocks) or `block<i>_norm`.
public final class BlockL2NormScale: Layer {
    public let norms: [L2NormScale]
    public var isTraining = true
    public var needsInputGradient = true

    public init(blocks: [Int], initialScale: Float = 20) {
        precondition(!blocks.isEmpty && blocks.allSatisfy { $0 > 0 }, "BlockL2NormScale: blocks must be positive, got \(blocks)")
        norms = blocks.map { L2NormScale(units: $0, initialScale: initialScale) }
    }

    public var widths: [Int] { norms.map(\.units) }
    public var children: [(String, Layer)] {
        let names = norms.count == 2 ? ["old_norm", "new_norm"] : norms.indices.map { "block\($0)_norm" }
        return Array(zip(names, norms.map { $0 as Layer }))
    }
    public var summary: String { "BlockL2NormScale(\(widths.map(String.init).joined(separator: " | ")))" }

    public func forward(_ x: Tensor) -> Tensor {
        checkShape((x.shape.count == 2 || x.shape.count == 4) && x.shape[1] == widths.reduce(0, +), summary,
                   expected: "[N, \(widths.reduce(0, +))] or [N, \(widths.reduce(0, +)), H, W]", actual: x.shape)
        let parts = Concat.split(x, widths: widths)
        return Concat.forward(zip(norms, parts).map { $0.forward($1) }, layer: summary)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let parts = Concat.split(dy, widths: widths)
        let dx = zip(norms, parts).map { $0.backward($1) }
        return needsInputGradient ? Concat.forward(dx, layer: summary + " backward") : Tensor(zeros: [0])
    }
}
