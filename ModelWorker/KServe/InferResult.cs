using ModelWorker.Models;

namespace ModelWorker.KServe;

/// <summary>
/// What an infer request produced: <see cref="Rows"/> rows of <see cref="Classes"/> probabilities (the model's output,
/// softmax applied where the model gives logits, as /predict answers) and, per row, the index of the largest.
/// </summary>
public sealed record InferResult(ModelKey Model, string? Id, string OutputName, int Rows, int Classes, float[] Probabilities,
    bool WithProbabilities, bool WithClass)
{
    /// <summary>The extra INT64 output [batch]: the most probable class of each row.</summary>
    public const string ClassOutputName = "class";

    public long[] ClassOfEachRow()
    {
        var classes = new long[Rows];
        for (var r = 0; r < Rows; r++)
        {
            var row = Probabilities.AsSpan(r * Classes, Classes);
            var best = 0;
            for (var c = 1; c < row.Length; c++)
            {
                best = row[c] > row[best] ? c : best;
            }

            classes[r] = best;
        }

        return classes;
    }
}
