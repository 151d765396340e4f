using System.Text.Json.Serialization;

namespace Benchmarks.Sim.Scenario;

/// <summary>
/// A service-time distribution in seconds: <c>constant</c> (value), <c>exponential</c> (mean) or
/// <c>lognormal</c> (median, sigma of the underlying normal).
/// </summary>
public sealed record ServiceTimeSpec
{
    public string Kind { get; init; } = "exponential";

    public double Value { get; init; }

    public double Mean { get; init; }

    public double Median { get; init; }

    public double Sigma { get; init; }

    /// <summary>The distribution's mean, for reports and the Erlang-C check.</summary>
    [JsonIgnore]
    public double ExpectedMean => Kind switch
    {
        "constant" => Value,
        "exponential" => Mean,
        _ => Median * Math.Exp(Sigma * Sigma / 2),
    };

    /// <summary>
    /// One draw from shared per-request variates (u uniform on (0,1), z standard normal): every policy sees the
    /// same request sizes (common random numbers), so differences between policies are not sampling noise.
    /// </summary>
    public double Sample(double u, double z) => Kind switch
    {
        "constant" => Value,
        "exponential" => -Mean * Math.Log(u),
        _ => Median * Math.Exp(Sigma * z),
    };

    public IEnumerable<string> Validate(string where)
    {
        var ok = Kind switch
        {
            "constant" => Value > 0,
            "exponential" => Mean > 0,
            "lognormal" => Median > 0 && Sigma >= 0,
            _ => false,
        };
        if (!ok)
        {
            yield return $"{where}: service time needs kind constant (value > 0), exponential (mean > 0) or lognormal (median > 0, sigma >= 0); got kind '{Kind}'";
        }
    }
}
