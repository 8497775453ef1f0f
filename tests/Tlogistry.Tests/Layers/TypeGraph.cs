using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Tlogistry.Tests.Layers;

/// <summary>A reference from one type to another, both top-level types of the assemblies read.</summary>
internal readonly record struct TypeEdge(string From, string To)
{
    public override string ToString() => $"{From} → {To}";
}

/// <summary>
/// Which of a set of assemblies' own types use which, read from their metadata and IL. A
/// reference to a type of the same assembly is a TypeDefinition handle, never a TypeReference,
/// so every signature (fields, methods, properties, locals, type specs, member references) and
/// every token in a method body is decoded. Nested types, compiler-made ones included (closures,
/// state machines), count as their outermost type. Not seen: types named only inside custom
/// attribute arguments (<c>typeof</c> in an attribute).
/// </summary>
internal sealed class TypeGraph
{
    /// <summary>Every top-level type read: full name → namespace.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlySet<TypeEdge> Edges { get; }

    /// <summary>Every use of a type from outside the assemblies read (the framework, packages), by its outermost type.</summary>
    public IReadOnlySet<TypeEdge> ExternalEdges { get; }

    private TypeGraph(Dictionary<string, string> types, HashSet<TypeEdge> edges, HashSet<TypeEdge> external)
    {
        Types = types;
        Edges = edges;
        ExternalEdges = external;
    }

    public string NamespaceOf(string type) => Types[type];

    public static TypeGraph Read(params string[] assemblyPaths)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var edges = new HashSet<TypeEdge>();
        var external = new HashSet<TypeEdge>();
        var files = assemblyPaths.Select(p => new PEReader(File.OpenRead(p))).ToList();
        try
        {
            var readers = files.Select(f => f.GetMetadataReader()).ToList();
            foreach (var reader in readers)
            {
                foreach (var handle in reader.TypeDefinitions)
                {
                    var type = reader.GetTypeDefinition(handle);
                    if (!type.GetDeclaringType().IsNil) continue;
                    var ns = reader.GetString(type.Namespace);
                    types[FullName(ns, reader.GetString(type.Name))] = ns;
                }
            }
            foreach (var (reader, file) in readers.Zip(files))
            {
                new AssemblyScan(reader, file, types, edges, external).Run();
            }
        }
        finally
        {
            foreach (var file in files) file.Dispose();
        }
        return new TypeGraph(types, edges, external);
    }

    private static string FullName(string ns, string name) => ns.Length == 0 ? name : ns + "." + name;

    /// <summary>The types one assembly's definitions use.</summary>
    private sealed class AssemblyScan(MetadataReader reader, PEReader file, Dictionary<string, string> known, HashSet<TypeEdge> edges, HashSet<TypeEdge> external)
        : ISignatureTypeProvider<object?, object?>
    {
        private string _from = "";

        public void Run()
        {
            foreach (var handle in reader.TypeDefinitions)
            {
                var outer = Outermost(handle);
                _from = TopName(outer);
                if (!known.ContainsKey(_from)) continue;
                ScanType(reader.GetTypeDefinition(handle));
            }
        }

        private void ScanType(TypeDefinition type)
        {
            Use(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations()) Use(reader.GetInterfaceImplementation(i).Interface);
            Constraints(type.GetGenericParameters());
            Attributes(type.GetCustomAttributes());
            foreach (var f in type.GetFields())
            {
                var field = reader.GetFieldDefinition(f);
                field.DecodeSignature(this, null);
                Attributes(field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties())
            {
                var property = reader.GetPropertyDefinition(p);
                property.DecodeSignature(this, null);
                Attributes(property.GetCustomAttributes());
            }
            foreach (var e in type.GetEvents())
            {
                var ev = reader.GetEventDefinition(e);
                Use(ev.Type);
                Attributes(ev.GetCustomAttributes());
            }
            foreach (var m in type.GetMethods()) ScanMethod(reader.GetMethodDefinition(m));
        }

        private void ScanMethod(MethodDefinition method)
        {
            method.DecodeSignature(this, null);
            Constraints(method.GetGenericParameters());
            Attributes(method.GetCustomAttributes());
            foreach (var p in method.GetParameters()) Attributes(reader.GetParameter(p).GetCustomAttributes());
            if (method.RelativeVirtualAddress == 0) return;
            var body = file.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
            {
                reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            }
            foreach (var region in body.ExceptionRegions)
            {
                if (!region.CatchType.IsNil) Use(region.CatchType);
            }
            ScanIl(body.GetILReader());
        }

        private void ScanIl(BlobReader il)
        {
            while (il.RemainingBytes > 0)
            {
                int value = il.ReadByte();
                if (value == 0xFE) value = 0xFE00 | il.ReadByte();
                var operand = OperandTypes[value];
                switch (operand)
                {
                    case OperandType.InlineField:
                    case OperandType.InlineMethod:
                    case OperandType.InlineTok:
                    case OperandType.InlineType:
                    case OperandType.InlineSig:
                        UseToken(MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    default:
                        il.Offset += OperandSize(operand);
                        break;
                }
            }
        }

        private void UseToken(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                case HandleKind.TypeReference:
                case HandleKind.TypeSpecification:
                    Use(handle);
                    break;
                case HandleKind.FieldDefinition:
                    Use(reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MethodDefinition:
                    Use(reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                    if (member.Parent.Kind is HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification)
                    {
                        Use(member.Parent);
                    }
                    if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(this, null);
                    else member.DecodeFieldSignature(this, null);
                    break;
                case HandleKind.MethodSpecification:
                    var spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    UseToken(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
                case HandleKind.StandaloneSignature:
                    var signature = reader.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (signature.GetKind() == StandaloneSignatureKind.Method) signature.DecodeMethodSignature(this, null);
                    break;
            }
        }

        private void Constraints(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
            {
                var parameter = reader.GetGenericParameter(p);
                foreach (var c in parameter.GetConstraints()) Use(reader.GetGenericParameterConstraint(c).Type);
                Attributes(parameter.GetCustomAttributes());
            }
        }

        private void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes) UseToken(reader.GetCustomAttribute(a).Constructor);
        }

        private void Use(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    Add(TopName(Outermost((TypeDefinitionHandle)handle)));
                    break;
                case HandleKind.TypeReference:
                    Add(ReferenceName((TypeReferenceHandle)handle));
                    break;
                case HandleKind.TypeSpecification:
                    reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                    break;
            }
        }

        private void Add(string? to)
        {
            if (to is null || to == _from) return;
            if (known.ContainsKey(to)) edges.Add(new TypeEdge(_from, to));
            else if (!to.StartsWith('<')) external.Add(new TypeEdge(_from, to));
        }

        private TypeDefinitionHandle Outermost(TypeDefinitionHandle handle)
        {
            while (true)
            {
                var outer = reader.GetTypeDefinition(handle).GetDeclaringType();
                if (outer.IsNil) return handle;
                handle = outer;
            }
        }

        private string TopName(TypeDefinitionHandle handle)
        {
            var type = reader.GetTypeDefinition(handle);
            return FullName(reader.GetString(type.Namespace), reader.GetString(type.Name));
        }

        /// <summary>A reference's outermost type, named as its defining assembly names it.</summary>
        private string? ReferenceName(TypeReferenceHandle handle)
        {
            var type = reader.GetTypeReference(handle);
            while (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                type = reader.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
            }
            return FullName(reader.GetString(type.Namespace), reader.GetString(type.Name));
        }

        public object? GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Use(handle);
            return null;
        }

        public object? GetTypeFromReference(MetadataReader r, TypeReferenceHandle handle, byte rawTypeKind)
        {
            Use(handle);
            return null;
        }

        public object? GetTypeFromSpecification(MetadataReader r, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            Use(handle);
            return null;
        }

        public object? GetArrayType(object? elementType, ArrayShape shape) => null;
        public object? GetByReferenceType(object? elementType) => null;
        public object? GetFunctionPointerType(MethodSignature<object?> signature) => null;
        public object? GetGenericInstantiation(object? genericType, ImmutableArray<object?> typeArguments) => null;
        public object? GetGenericMethodParameter(object? genericContext, int index) => null;
        public object? GetGenericTypeParameter(object? genericContext, int index) => null;
        public object? GetModifiedType(object? modifier, object? unmodifiedType, bool isRequired) => null;
        public object? GetPinnedType(object? elementType) => null;
        public object? GetPointerType(object? elementType) => null;
        public object? GetPrimitiveType(PrimitiveTypeCode typeCode) => null;
        public object? GetSZArrayType(object? elementType) => null;
    }

    /// <summary>Each opcode's operand kind, indexed by its value (two-byte opcodes at 0xFE00 + second byte).</summary>
    private static readonly OperandType[] OperandTypes = BuildOperandTypes();

    private static OperandType[] BuildOperandTypes()
    {
        var table = new OperandType[0xFF00];
        Array.Fill(table, OperandType.InlineNone);
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var opcode = (OpCode)field.GetValue(null)!;
            table[(ushort)opcode.Value] = opcode.OperandType;
        }
        return table;
    }

    private static int OperandSize(OperandType operand) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}
