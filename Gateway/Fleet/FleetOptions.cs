namespace Gateway.Fleet;

/// <summary>
/// A local fleet of ModelWorker processes behind one cluster: the embedded default, or <c>LbProxy.Fleet</c> in a
/// config file. Autoscaling follows the seeds' HPA (queue depth 20, p95 500 ms, CPU 70%).
/// </summary>
public sealed record FleetOptions
{
    public const string DefaultClusterId = "fleet";

    /// <summary>The cluster the workers join (created with the Adaptive policy unless the file defines it).</summary>
    public string ClusterId { get; init; } = DefaultClusterId;

    /// <summary>Workers at start (clamped into MinReplicas..MaxReplicas when autoscaling).</summary>
    public int Workers { get; init; } = 3;

    /// <summary>ONNX model for the workers; null = the bundled small classifier.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// A Triton-style model repository (NAME/VERSION/model.onnx) every worker serves beside <see cref="Model"/>, each
    /// model loaded on its first request (<c>POST /models/NAME/predict</c>, KServe v2 <c>/v2/models/NAME/infer</c>); null = none.
    /// </summary>
    public string? ModelRepository { get; init; }

    /// <summary>
    /// When set, every worker also serves KServe v2 gRPC on a port of its own (<c>--grpc-urls</c>) and joins this cluster
    /// with it (made with HTTP/2 to the workers unless the file defines it); route gRPC paths to it. Null = no gRPC.
    /// </summary>
    public string? GrpcClusterId { get; init; }

    /// <summary>ModelWorker.dll to run; null = find it in this checkout (building it when missing).</summary>
    public string? WorkerPath { get; init; }

    /// <summary>Extra command-line arguments for every worker (e.g. ["--max-batch-size", "16"]).</summary>
    public IReadOnlyList<string> WorkerArgs { get; init; } = [];

    /// <summary>How long a worker may take to answer /ready after it starts.</summary>
    public double StartTimeoutSeconds { get; init; } = 60;

    /// <summary>A removed worker gets this long to finish in-flight work after SIGTERM before SIGKILL.</summary>
    public double DrainSeconds { get; init; } = 10;

    /// <summary>
    /// Liveness: a worker whose /health fails this many times in a row (1 s apart, every worker probed at once) is
    /// replaced. A ModelWorker's /health also fails while a model Run hangs past its --batch-run-limit-ms.
    /// </summary>
    public int LivenessFailures { get; init; } = 3;

    public AutoscaleOptions Autoscale { get; init; } = new();
}

/// <summary>The HPA-equivalent settings of a local fleet.</summary>
public sealed record AutoscaleOptions
{
    public bool Enabled { get; init; } = true;

    public int MinReplicas { get; init; } = 2;

    /// <summary>0 = max(4, 2 x cores).</summary>
    public int MaxReplicas { get; init; }

    /// <summary>Kubernetes' --horizontal-pod-autoscaler-sync-period.</summary>
    public double SyncPeriodSeconds { get; init; } = 15;

    public double Tolerance { get; init; } = 0.1;

    /// <summary>Average requests waiting per worker (ml_queue_size).</summary>
    public double TargetQueueDepth { get; init; } = 20;

    /// <summary>p95 of worker request latency over the last sync period (ml_request_latency_seconds).</summary>
    public double TargetP95Seconds { get; init; } = 0.5;

    /// <summary>Average CPU per worker, in percent of one core.</summary>
    public double TargetCpuPercent { get; init; } = 70;

    public double ScaleUpStabilizationSeconds { get; init; }

    public int ScaleUpPercent { get; init; } = 100;

    public int ScaleUpPods { get; init; } = 4;

    public double ScaleUpPeriodSeconds { get; init; } = 15;

    public double ScaleDownStabilizationSeconds { get; init; } = 300;

    public int ScaleDownPercent { get; init; } = 10;

    public double ScaleDownPeriodSeconds { get; init; } = 60;

    /// <summary>Optional predictive pre-scaling: a time-of-day minimum raised ahead of known peaks.</summary>
    public PreScaleOptions? PreScale { get; init; }

    public int EffectiveMax => MaxReplicas > 0 ? MaxReplicas : Math.Max(4, 2 * Environment.ProcessorCount);

    public HpaController CreateController(TimeProvider time) => new(MinReplicas, EffectiveMax, time, Tolerance,
        new ScalingRules(ScaleUpStabilizationSeconds,
            [new ScalingPolicy(ScalingPolicyType.Percent, ScaleUpPercent, ScaleUpPeriodSeconds), new ScalingPolicy(ScalingPolicyType.Pods, ScaleUpPods, ScaleUpPeriodSeconds)]),
        new ScalingRules(ScaleDownStabilizationSeconds, [new ScalingPolicy(ScalingPolicyType.Percent, ScaleDownPercent, ScaleDownPeriodSeconds)]));
}
