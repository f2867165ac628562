/// Which part of a data source to load.
public enum DataSplit: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The whole set (for sources without a predefined split; split it with `FewShotSampler`
    /// or `TrainTestSplit`).
    case all
    /// The predefined training part (Fashion-MNIST's 60k, a folder's train.txt).
    case train
    /// The predefined test part (Fashion-MNIST's 10k, a folder's test.txt).
    case test

    public var description: String { rawValue }
}
