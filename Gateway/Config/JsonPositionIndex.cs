using System.Text;
using System.Text.Json;

namespace Gateway.Config;

/// <summary>
/// Line and column (1-based) of every property in a JSON document, by its config path
/// (<c>ReverseProxy:Clusters:c1:LoadBalancingPolicy</c>, case-insensitive), so that a problem found after
/// binding can still name the place in the file.
/// </summary>
public sealed class JsonPositionIndex
{
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads the whole document; throws <see cref="JsonException"/> (with line and position) on bad syntax.</summary>
    public JsonPositionIndex(ReadOnlySpan<byte> json)
    {
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < json.Length; i++)
        {
            if (json[i] == (byte)'\n')
            {
                lineStarts.Add(i + 1);
            }
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        // Every value but the root has one path segment (its property name or array index) pushed
        // before it starts and popped when it ends.
        var path = new List<string>();
        var arrays = new Stack<int>(); // per open container: next array index, or -1 for an object
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    path.Add(reader.GetString()!);
                    _positions.TryAdd(string.Join(':', path), Position(lineStarts, (int)reader.TokenStartIndex, json));
                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    EnterValue(path, arrays);
                    // An array element has no property name: its own position is kept here (a property's is kept above).
                    _positions.TryAdd(string.Join(':', path), Position(lineStarts, (int)reader.TokenStartIndex, json));
                    arrays.Push(reader.TokenType == JsonTokenType.StartArray ? 0 : -1);
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    arrays.Pop();
                    LeaveValue(path, arrays);
                    break;
                default:
                    EnterValue(path, arrays);
                    _positions.TryAdd(string.Join(':', path), Position(lineStarts, (int)reader.TokenStartIndex, json));
                    LeaveValue(path, arrays);
                    break;
            }
        }
    }

    /// <summary>The position of <paramref name="path"/>, or of its nearest ancestor present in the file.</summary>
    public (int Line, int Column) Find(string path)
    {
        while (true)
        {
            if (_positions.TryGetValue(path, out var position))
            {
                return position;
            }

            var cut = path.LastIndexOf(':');
            if (cut < 0)
            {
                return (1, 1);
            }

            path = path[..cut];
        }
    }

    private static void EnterValue(List<string> path, Stack<int> arrays)
    {
        if (arrays.TryPeek(out var next) && next >= 0)
        {
            arrays.Pop();
            arrays.Push(next + 1);
            path.Add(next.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static void LeaveValue(List<string> path, Stack<int> arrays)
    {
        if (arrays.Count > 0)
        {
            path.RemoveAt(path.Count - 1);
        }
    }

    private static (int Line, int Column) Position(List<int> lineStarts, int offset, ReadOnlySpan<byte> json)
    {
        var line = lineStarts.BinarySearch(offset);
        if (line < 0)
        {
            line = ~line - 1;
        }

        var column = Encoding.UTF8.GetCharCount(json[lineStarts[line]..offset]) + 1;
        return (line + 1, column);
    }
}
