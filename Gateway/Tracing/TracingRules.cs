namespace Gateway.Tracing;

/// <summary>Checks <c>LbProxy.Tracing</c>.</summary>
internal static class TracingRules
{
    public static TracingOptions Validate(TracingOptions? options, string path, Action<string, string, string> report)
    {
        if (options is null)
        {
            return new TracingOptions();
        }

        var errors = 0;
        void Check(bool ok, string field, string problem, string fix)
        {
            if (!ok)
            {
                errors++;
                report($"{path}:{field}", $"LbProxy.Tracing.{field} {problem}", fix);
            }
        }

        Check(options.OtlpEndpoint is null || (Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"),
            "OtlpEndpoint", $"is '{options.OtlpEndpoint}', which is not an http(s) URL.", "set the collector's URL, e.g. \"http://127.0.0.1:4318\", or remove it (tracing off).");
        Check(options.Protocol is TracingOptions.HttpProtobuf or TracingOptions.Grpc, "Protocol", $"is '{options.Protocol}'.",
            "use \"HttpProtobuf\" (port 4318) or \"Grpc\" (port 4317).");
        Check(!string.IsNullOrWhiteSpace(options.ServiceName), "ServiceName", "is empty.", "set the service.name spans carry, e.g. \"lbproxy\".");
        Check(options.SampleRatio is >= 0 and <= 1, "SampleRatio", $"is {options.SampleRatio}; it must be from 0 to 1.", "set 1 to record every trace, 0.1 for one in ten.");
        Check(options.ExportDelayMilliseconds is >= 1 and <= 60_000, "ExportDelayMilliseconds", $"is {options.ExportDelayMilliseconds}; it must be from 1 to 60000.",
            "set it to 2000, or remove it for the default.");
        return errors == 0 ? options : new TracingOptions();
    }
}
