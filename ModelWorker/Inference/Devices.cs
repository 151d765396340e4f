namespace ModelWorker.Inference;

/// <summary>Device names as /health and the metrics' device label print them.</summary>
public static class Devices
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";
}
