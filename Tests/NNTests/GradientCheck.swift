import XCTest
@testable import Engine
@testable import NN

/// Finite-difference gradient checking.
///
/// The probe loss is L = Σ rᵢ·yᵢ with fixed random r, summed in Double. Analytic gradients come from
/// one `backward(r)`; numeric ones from central differences (L(θ+h) − L(θ−h)) / 2h on float32 values.
/// Tolerance: |analytic − numeric| ≤ atol + rtol·|numeric|, with h = 1e-2, atol = 2e-3, rtol = 2e-2
/// by default — float32 forward passes limit the numeric side to about 1e-4 absolute accuracy.
struct GradientCheck {
    var h: Float = 1e-2
    var atol: Double = 2e-3
    var rtol: Double = 2e-2
    /// At most this many coordinates per tensor are probed (spread evenly plus the ends).
    var maxProbes = 40

    func probeLoss(_ y: Tensor, _ r: Tensor) -> Double {
        var s = 0.0
        for i in 0..<y.count { s += Double(y.pointer[i]) * Double(r.pointer[i]) }
        return s
    }

    func indices(_ n: Int) -> [Int] {
        if n <= maxProbes { return Array(0..<n) }
        return (0..<maxProbes).map { $0 * (n - 1) / (maxProbes - 1) }
    }

    /// Checks d/dx and d/dθ for every parameter. `reset` runs before each forward (e.g. to replay a dropout mask).
    func check(_ layer: Layer, input x: Tensor, seed: UInt64 = 11, reset: () -> Void = {},
               file: StaticString = #filePath, line: UInt = #line) {
        var rng = RNG(seed: seed)
        layer.setTraining(true)
        layer.needsInputGradient = true
        layer.zeroGradients()
        reset()
        let y = layer.forward(x)
        let r = Tensor(uninitialized: y.shape)
        for i in 0..<r.count { r.pointer[i] = rng.normal() }
        let dx = layer.backward(r)
        let analyticParams = layer.namedParameters().map { ($0.name, $0.parameter.grad.copy()) }

        func numeric(_ target: Tensor, _ i: Int) -> Double {
            let saved = target.pointer[i]
            target.pointer[i] = saved + h; reset(); let up = probeLoss(layer.forward(x), r)
            target.pointer[i] = saved - h; reset(); let down = probeLoss(layer.forward(x), r)
            target.pointer[i] = saved
            return (up - down) / Double(2 * h)
        }
        func compare(_ name: String, _ target: Tensor, _ analytic: Tensor) {
            XCTAssertEqual(analytic.shape, target.shape, "\(layer.summary): gradient shape of \(name)", file: file, line: line)
            var worst = 0.0
            for i in indices(target.count) {
                let n = numeric(target, i), a = Double(analytic.pointer[i])
                worst = max(worst, abs(a - n))
                if abs(a - n) > atol + rtol * abs(n) {
                    XCTFail("\(layer.summary): d/d\(name)[\(i)] analytic \(a) vs numeric \(n) (|diff| \(abs(a - n)), atol \(atol), rtol \(rtol))",
                            file: file, line: line)
                    return
                }
            }
        }
        compare("input", x, dx)
        for (name, grad) in analyticParams {
            let p = layer.namedParameters().first { $0.name == name }!.parameter
            compare(name, p.value, grad)
        }
    }
}

/// A tensor of distinct values spaced at least `gap` apart (no ties for max-pool, no values near ReLU kinks).
func spacedTensor(_ shape: [Int], gap: Float = 0.05, seed: UInt64) -> Tensor {
    var rng = RNG(seed: seed)
    let n = shape.reduce(1, *)
    var values = (0..<n).map { Float($0) - Float(n) / 2 + 0.5 }
    rng.shuffle(&values)
    return Tensor(shape: shape, values: values.map { $0 * gap })
}

func gaussianTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RNG(seed: seed)
    let t = Tensor(uninitialized: shape)
    for i in 0..<t.count { t.pointer[i] = scale * rng.normal() }
    return t
}
