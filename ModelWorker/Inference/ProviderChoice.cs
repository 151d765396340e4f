namespace ModelWorker.Inference;

/// <summary>What <see cref="ExecutionProviderSelector"/> decided.</summary>
/// <param name="UseCuda">Append the CUDA execution provider.</param>
/// <param name="Note">Why CPU was chosen under --device auto (logged once), else null.</param>
/// <param name="Error">Why start-up must fail (--device cuda without CUDA), else null.</param>
public sealed record ProviderChoice(bool UseCuda, string? Note, string? Error)
{
    public string Device => UseCuda ? Devices.Cuda : Devices.Cpu;
}
