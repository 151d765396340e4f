using Benchmarks.Sim.Scenario;

namespace Benchmarks.Sim.Engine;

/// <summary>Draws key ids 0..count-1, uniformly or by Zipf's law (rank k has weight 1/(k+1)^s; inverse CDF by binary search).</summary>
public sealed class KeySampler
{
    private readonly double[]? _cdf;
    private readonly int _count;

    public KeySampler(KeySpec? spec)
    {
        _count = spec?.Count ?? 0;
        if (spec is { Kind: "zipf" })
        {
            _cdf = new double[_count];
            double sum = 0;
            for (var k = 0; k < _count; k++)
            {
                sum += 1 / Math.Pow(k + 1, spec.Exponent);
                _cdf[k] = sum;
            }

            for (var k = 0; k < _count; k++)
            {
                _cdf[k] /= sum;
            }
        }
    }

    public int Count => _count;

    public int Next(double u)
    {
        if (_count == 0)
        {
            return 0;
        }

        if (_cdf is null)
        {
            return Math.Min((int)(u * _count), _count - 1);
        }

        var i = Array.BinarySearch(_cdf, u);
        return Math.Min(i < 0 ? ~i : i, _count - 1);
    }
}
