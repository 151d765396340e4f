namespace ModelWorker.Inference;

/// <summary>Row-wise softmax for models whose output is logits, and the check that tells the two apart.</summary>
public static class Softmax
{
    public static void InPlace(Span<float> row)
    {
        // Subtract the max first so exp never overflows (the usual log-sum-exp trick).
        var max = float.NegativeInfinity;
        foreach (var v in row)
        {
            max = Math.Max(max, v);
        }

        var sum = 0f;
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = MathF.Exp(row[i] - max);
            sum += row[i];
        }

        for (var i = 0; i < row.Length; i++)
        {
            row[i] /= sum;
        }
    }

    /// <summary>True when the row already is a probability distribution (non-negative, sums to 1).</summary>
    public static bool LooksLikeProbabilities(ReadOnlySpan<float> row)
    {
        var sum = 0f;
        foreach (var v in row)
        {
            if (v < 0f || v > 1f)
            {
                return false;
            }

            sum += v;
        }

        return Math.Abs(sum - 1f) < 1e-4f;
    }
}
