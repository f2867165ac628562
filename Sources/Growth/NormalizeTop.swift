import NN

/// FT+norm, the control for WA's scaling: an `L2NormScale` (γ₀ = the step's initial scale) after a layer
/// span, so the classifier reads the span's units normalised and scaled exactly as WA's old block is,
/// with no new units. Inserted as `<first entry>_norm` right after the span (after its pooling, which is
/// where WA normalises by default).
enum NormalizeTop {
    static func apply(_ step: GrowthStep, to ctx: inout GrowthContext) throws -> GrowthMap {
        let span = try ctx.span(of: step.target)
        let (parent, range) = try ctx.resolve(span)
        let (leaves, outputs) = NetworkSurgery.trace(ctx.model, inputShape: ctx.inputShape)
        guard let spanLeaves = NetworkSurgery.leafRange(leaves, of: span.paths) else { throw GrowthError("normalise \(span): not found in the network") }
        let units = outputs[spanLeaves.upperBound - 1][0]
        let name = span.entries.first! + "_norm"
        guard parent.index(of: name) == nil else { throw GrowthError("normalise \(span): a layer named '\(name)' exists already there") }
        return GrowthMap.tracking(ctx.model) {
            parent.insert(L2NormScale(units: units, initialScale: step.initialScale), named: name, at: range.upperBound)
            return [:]
        }
    }
}
