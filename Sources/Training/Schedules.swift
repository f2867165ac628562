import Foundation

/// A learning rate as a function of the optimisation step (0-based).
public protocol LearningRateSchedule: Sendable {
    func rate(at step: Int) -> Float
}

/// Constant rate.
public struct ConstantSchedule: LearningRateSchedule {
    public let base: Float
    public init(_ base: Float) { self.base = base }
    public func rate(at step: Int) -> Float { base }
}

/// base · γ^⌊step / stepSize⌋ (Caffe "step").
public struct StepSchedule: LearningRateSchedule {
    public let base: Float, stepSize: Int, gamma: Float
    public init(base: Float, stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "StepSchedule: stepSize must be positive")
        self.base = base; self.stepSize = stepSize; self.gamma = gamma
    }
    public func rate(at step: Int) -> Float { base * pow(gamma, Float(step / stepSize)) }
}

/// base · γ^(number of milestones ≤ step) (Caffe "multistep").
public struct MultiStepSchedule: LearningRateSchedule {
    public let base: Float, milestones: [Int], gamma: Float
    public init(base: Float, milestones: [Int], gamma: Float = 0.1) {
        self.base = base; self.milestones = milestones.sorted(); self.gamma = gamma
    }
    public func rate(at step: Int) -> Float { base * pow(gamma, Float(milestones.filter { $0 <= step }.count)) }
}

/// Cosine annealing from base to `minimum` over `totalSteps`, then held at `minimum`.
public struct CosineSchedule: LearningRateSchedule {
    public let base: Float, totalSteps: Int, minimum: Float
    public init(base: Float, totalSteps: Int, minimum: Float = 0) {
        precondition(totalSteps > 0, "CosineSchedule: totalSteps must be positive")
        self.base = base; self.totalSteps = totalSteps; self.minimum = minimum
    }
    public func rate(at step: Int) -> Float {
        let t = Float(Swift.min(step, totalSteps)) / Float(totalSteps)
        return minimum + (base - minimum) * 0.5 * (1 + cos(Float.pi * t))
    }
}

/// Linear warm-up from `base/warmupSteps` to the wrapped schedule's rate over `warmupSteps`,
/// then the wrapped schedule (which sees the step count unchanged).
public struct WarmupSchedule: LearningRateSchedule {
    public let inner: any LearningRateSchedule, warmupSteps: Int
    public init(_ inner: any LearningRateSchedule, warmupSteps: Int) { self.inner = inner; self.warmupSteps = warmupSteps }
    public func rate(at step: Int) -> Float {
        let r = inner.rate(at: step)
        return step < warmupSteps ? r * Float(step + 1) / Float(warmupSteps) : r
    }
}
