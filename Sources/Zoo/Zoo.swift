import NN
import Growth

/// The model zoo: every architecture GrowingBrain can build, grow and load weights into.
public enum Zoo {}
