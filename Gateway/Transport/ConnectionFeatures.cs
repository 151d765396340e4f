using System.Collections;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Transport;

/// <summary>
/// A connection's features, in arrays compared by reference. Kestrel asks a request's features first and then its
/// connection's, so every lookup of a feature a request does not have (YARP's trailers feature on HTTP/1.1, the
/// gateway's optional per-request features) ends here. A <see cref="FeatureCollection"/> answers from a dictionary
/// keyed by <see cref="Type"/> (hashing the key on every call); a connection holds about a dozen features, fewer than
/// a hash lookup is worth, as Kestrel's own socket connection keeps them in fields.
/// Same contract as <see cref="FeatureCollection"/>: setting null removes a feature, and every change moves
/// <see cref="Revision"/>. Not thread-safe, as it is not.
/// </summary>
internal sealed class ConnectionFeatures : IFeatureCollection
{
    private Type[] _types = new Type[16];
    private object[] _values = new object[16];
    private int _count;

    public bool IsReadOnly => false;

    public int Revision { get; private set; }

    public object? this[Type key]
    {
        get
        {
            var index = IndexOf(key);
            return index < 0 ? null : _values[index];
        }
        set
        {
            ArgumentNullException.ThrowIfNull(key);
            var index = IndexOf(key);
            if (value is null)
            {
                if (index >= 0)
                {
                    _count--;
                    _types[index] = _types[_count];
                    _values[index] = _values[_count];
                    _types[_count] = null!;
                    _values[_count] = null!;
                }
            }
            else if (index >= 0)
            {
                _values[index] = value;
            }
            else
            {
                if (_count == _types.Length)
                {
                    Array.Resize(ref _types, _count * 2);
                    Array.Resize(ref _values, _count * 2);
                }

                _types[_count] = key;
                _values[_count] = value;
                _count++;
            }

            Revision++;
        }
    }

    /// <summary>The feature, or default when it is not set (also for a value type, where a FeatureCollection throws).</summary>
    public TFeature? Get<TFeature>() => this[typeof(TFeature)] is TFeature feature ? feature : default;

    public void Set<TFeature>(TFeature? instance) => this[typeof(TFeature)] = instance;

    public IEnumerator<KeyValuePair<Type, object>> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return new KeyValuePair<Type, object>(_types[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(Type key)
    {
        var types = _types;
        for (var i = 0; i < _count; i++)
        {
            if (ReferenceEquals(types[i], key))
            {
                return i;
            }
        }

        return -1;
    }
}
