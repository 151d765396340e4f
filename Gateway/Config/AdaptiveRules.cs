namespace Gateway.Config;

internal static class AdaptiveRules
{
    public static void Validate(AdaptiveOptions? options, string path, Action<string, string, string> report)
    {
        if (options is null)
        {
            return;
        }

        Positive(options.DecayTimeSeconds, "DecayTimeSeconds", LoadBalancing.LatencyModel.DefaultDecaySeconds);
        Positive(options.FailurePenaltySeconds, "FailurePenaltySeconds", LoadBalancing.LatencyModel.DefaultFailurePenaltySeconds);
        Positive(options.QueueDepthHalfLifeSeconds, "QueueDepthHalfLifeSeconds", LoadBalancing.LatencyModel.DefaultQueueDepthHalfLifeSeconds);

        void Positive(double value, string name, double defaultValue)
        {
            if (!(value > 0) || double.IsInfinity(value))
            {
                report($"{path}:{name}", $"LbProxy.Adaptive.{name} is {value}; it must be a positive number of seconds.",
                    $"set a value above 0 (default {defaultValue}).");
            }
        }
    }
}
