import Engine
import NN

/// WA's widened layer: the old units and the new units side by side, y = [old(x), new(x)] along axis 1,
/// each block optionally L2-normalised and rescaled on its own (the paper's Eqs. 1–2).
///
/// Shapes: x → [N, C_old + C_new, …]: both branches read the same input and give equal trailing dimensions
/// (features [N, C] or maps [N, C, H, W], normalised over channels at each location).
/// Children: `old` (the original layers, under their original entry names), `new`, and `old_norm` / `new_norm`.
public final class WidenedBlock: Layer {
    public let old: Sequential
    public let new: Sequential
    public let oldNorm: L2NormScale?
    public let newNorm: L2NormScale?
    public var isTraining = true
    public var needsInputGradient = true {
        didSet { old.needsInputGradient = needsInputGradient; new.needsInputGradient = needsInputGradient }
    }
    /// Output width of each block at the last forward, old first.
    public private(set) var widths: [Int] = []

    public init(old: Sequential, new: Sequential, oldNorm: L2NormScale?, newNorm: L2NormScale?) {
        self.old = old; self.new = new; self.oldNorm = oldNorm; self.newNorm = newNorm
    }

    public var children: [(String, Layer)] {
        [("old", old), ("new", new)] + (oldNorm.map { [("old_norm", $0)] } ?? []) + (newNorm.map { [("new_norm", $0)] } ?? [])
    }
    public var summary: String { "Widened(old\(oldNorm == nil ? "" : " + norm") | new\(newNorm == nil ? "" : " + norm") → concat)" }
    public var blockNames: [String] { ["old", "new"] }

    /// Each block's output before normalisation and after (what the concatenation holds), old first.
    public func blockOutputs(_ x: Tensor) -> [(name: String, raw: Tensor, scaled: Tensor)] {
        let o = old.forward(x), n = new.forward(x)
        return [("old", o, oldNorm?.forward(o) ?? o), ("new", n, newNorm?.forward(n) ?? n)]
    }

    public func forward(_ x: Tensor) -> Tensor {
        let outs = blockOutputs(x).map(\.scaled)
        widths = outs.map { $0.shape[1] }
        return Concat.forward(outs, layer: summary)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let parts = Concat.split(dy, widths: widths)
        let dOld = old.backward(oldNorm?.backward(parts[0]) ?? parts[0])
        let dNew = new.backward(newNorm?.backward(parts[1]) ?? parts[1])
        guard needsInputGradient else { return Tensor(zeros: [0]) }
        return Add.forward(dOld, dNew)
    }

    /// The layer that produces each block's units (a Linear or Conv2d, possibly reading only leading inputs), if any.
    public var producers: [(name: String, weight: Parameter)] {
        [("old", old), ("new", new)].compactMap { name, branch in
            for (_, layer) in branch.flattened().layers {
                let inner = (layer as? ReadLeading)?.inner ?? layer
                if let l = inner as? Linear { return (name, l.weight) }
                if let c = inner as? Conv2d { return (name, c.weight) }
            }
            return nil
        }
    }
}
