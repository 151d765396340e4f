namespace ModelWorker.Inference;

/// <summary>The --device choice.</summary>
public enum DeviceOption
{
    /// <summary>CUDA when ONNX Runtime offers it, else CPU with one log line.</summary>
    Auto,

    /// <summary>CPU only.</summary>
    Cpu,

    /// <summary>CUDA or fail start-up.</summary>
    Cuda,
}
