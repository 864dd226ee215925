import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.annotation.Annotation;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.UUID;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;

/**
 * Runs GraalVM's native-image builder (its Maven artifacts, on a plain JDK 25) over the application with the
 * arguments Quarkus generated (target/native-sources/native-image.args), through analysis, compilation and the
 * writing of the object file, and stops before the link. image/native-check.sh prepares the JDK it runs on.
 *
 * A GraalVM distribution starts the builder through its driver (the `native-image` command), which is not
 * published as a Maven artifact. This does the driver's part for the options Quarkus and the libraries use:
 * it turns the driver's options (`--features=...`, `--initialize-at-run-time=...`, `-jar`, `-J...`) into the
 * builder's hosted options (`-H:...`), lowers each library's META-INF/native-image files to builder options as
 * the driver does, and starts the builder JVM with its modules. An option it does not know fails the check, so a
 * new option Quarkus passes is never silently dropped.
 *
 *   java image/NativeCheck.java headers OUT_DIR BUILDER_CLASSPATH
 *   java image/NativeCheck.java run JAVA_HOME BUILDER_CLASSPATH NATIVE_SOURCES_DIR WORK_DIR
 */
public final class NativeCheck {

    private static final String BUILDER_MODULE = "org.graalvm.nativeimage.builder";

    private NativeCheck() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "headers" -> headers(Path.of(args[1]), args[2]);
            case "run" -> System.exit(run(Path.of(args[1]), args[2], Path.of(args[3]), Path.of(args[4])));
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    // ---- headers ---------------------------------------------------------------------------------------------

    /**
     * The builder compiles small C programs against these headers of GraalVM's C helper library to learn the
     * layout of the structs and the values of the constants its Java code declares (@CStruct, @CField,
     * @CConstant). The headers themselves ship only with a GraalVM distribution. This writes declarations with
     * the same names and kinds of types, taken from those Java declarations: enough for the queries; the real
     * layout matters only to the helper library the link would add, which this check does not reach.
     */
    private static void headers(Path out, String builderClasspath) throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String jar : builderClasspath.split(":")) {
            urls.add(Path.of(jar).toUri().toURL());
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
            Files.createDirectories(out);
            // The builder queries every architecture's CPU feature struct, whichever it compiles for.
            writeHeader(out.resolve("amd64cpufeatures.h"), loader, "com.oracle.svm.core.amd64.AMD64LibCHelper$CPUFeatures");
            writeHeader(out.resolve("aarch64cpufeatures.h"), loader, "com.oracle.svm.core.aarch64.AArch64LibCHelper$CPUFeatures");
            writeHeader(out.resolve("riscv64cpufeatures.h"), loader, "com.oracle.svm.core.riscv64.RISCV64LibCHelper$CPUFeatures");
            writeHeader(out.resolve("svm_locale.h"), loader, "com.oracle.svm.core.c.locale.LocaleCHelper",
                    "com.oracle.svm.core.c.locale.LocaleCHelper$LocaleProps");
        }
    }

    private static void writeHeader(Path file, ClassLoader loader, String... classes) throws Exception {
        Class<? extends Annotation> cStruct = annotation(loader, "org.graalvm.nativeimage.c.struct.CStruct");
        Class<? extends Annotation> cField = annotation(loader, "org.graalvm.nativeimage.c.struct.CField");
        Class<? extends Annotation> cConstant = annotation(loader, "org.graalvm.nativeimage.c.constant.CConstant");
        StringBuilder text = new StringBuilder("/* Declarations for the native-image builder's C queries, written by image/NativeCheck.java. */\n");
        String guard = file.getFileName().toString().replaceAll("[^A-Za-z0-9]", "_").toUpperCase();
        text.append("#ifndef ").append(guard).append("\n#define ").append(guard).append("\n");
        int constant = 0;
        for (String name : classes) {
            Class<?> type = Class.forName(name, false, loader);
            Annotation struct = type.getAnnotation(cStruct);
            if (struct != null) {
                String structName = (String) cStruct.getMethod("value").invoke(struct);
                if (structName.isEmpty()) {
                    structName = type.getSimpleName();
                }
                Map<String, String> fields = new LinkedHashMap<>();
                for (Method method : type.getDeclaredMethods()) {
                    Annotation field = method.getAnnotation(cField);
                    if (field == null || method.getParameterCount() != 0) {
                        continue;
                    }
                    String fieldName = (String) cField.getMethod("value").invoke(field);
                    fields.put(fieldName.isEmpty() ? method.getName() : fieldName, cType(method.getReturnType()));
                }
                text.append("typedef struct {\n");
                fields.forEach((fieldName, cType) -> text.append("    ").append(cType).append(' ').append(fieldName).append(";\n"));
                text.append("} ").append(structName).append(";\n");
            }
            for (Method method : type.getDeclaredMethods()) {
                if (method.getAnnotation(cConstant) != null) {
                    String constantName = (String) cConstant.getMethod("value").invoke(method.getAnnotation(cConstant));
                    text.append("#define ").append(constantName.isEmpty() ? method.getName() : constantName)
                            .append(' ').append(constant++).append('\n');
                }
            }
        }
        text.append("#endif\n");
        Files.writeString(file, text);
    }

    private static String cType(Class<?> type) {
        if (type == boolean.class || type == byte.class) {
            return "char";
        } else if (type == short.class) {
            return "short";
        } else if (type == int.class) {
            return "int";
        } else if (type == long.class) {
            return "long long";
        }
        return "void *";
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends Annotation> annotation(ClassLoader loader, String name) throws ClassNotFoundException {
        return (Class<? extends Annotation>) Class.forName(name, false, loader);
    }

    // ---- run -------------------------------------------------------------------------------------------------

    /** The driver options Quarkus and the libraries pass, with the builder option each stands for. */
    private static final Map<String, String> API_OPTIONS = Map.of(
            "--features", "-H:Features",
            "--enable-url-protocols", "-H:EnableURLProtocols",
            "--enable-monitoring", "-H:EnableMonitoringFeatures",
            "--enable-native-access", "-H:EnableNativeAccess",
            "--link-at-build-time", "-H:LinkAtBuildTime",
            "--parallelism", "-H:NumberOfThreads");

    /** The META-INF/native-image files the builder reads, with the option that names them (as the driver does). */
    private static final Map<String, String> META_INF_FILES = Map.of(
            "reachability-metadata.json", "-H:ReachabilityMetadataResources",
            "jni-config.json", "-H:JNIConfigurationResources",
            "reflect-config.json", "-H:ReflectionConfigurationResources",
            "resource-config.json", "-H:ResourceConfigurationResources",
            "proxy-config.json", "-H:DynamicProxyConfigurationResources",
            "serialization-config.json", "-H:SerializationConfigurationResources",
            "serialization-deny-config.json", "-H:SerializationDenyConfigurationResources",
            "predefined-classes-config.json", "-H:PredefinedClassesConfigurationResources");

    private record Translation(List<String> javaArgs, List<String> builderArgs, List<Path> classpath, List<Pattern[]> excluded) {
    }

    private static int run(Path javaHome, String builderClasspath, Path sourcesDir, Path workDir) throws Exception {
        Path sources = sourcesDir.toAbsolutePath();
        Path work = workDir.toAbsolutePath();
        Files.createDirectories(work);
        Translation t = new Translation(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<String> quarkusArgs = List.of(Files.readString(sources.resolve("native-image.args")).trim().split(" "));
        translate(quarkusArgs, sources, t, "native-image.args");
        for (Path entry : t.classpath()) {
            metaInf(entry, t);
        }

        List<Path> builderJars = new ArrayList<>();
        Path compiler = null;
        for (String jar : builderClasspath.split(":")) {
            if (Path.of(jar).getFileName().toString().startsWith("compiler-")) {
                compiler = Path.of(jar);
            } else {
                builderJars.add(Path.of(jar));
            }
        }
        if (compiler == null) {
            throw new IllegalStateException("no Graal compiler jar on " + builderClasspath);
        }
        List<String> builderModules = new ArrayList<>();
        for (ModuleReference ref : ModuleFinder.of(builderJars.toArray(new Path[0])).findAll()) {
            builderModules.add(ref.descriptor().name());
        }
        builderModules.add("jdk.graal.compiler");

        List<String> jvm = new ArrayList<>();
        jvm.add("-XX:+UnlockExperimentalVMOptions");
        jvm.add("-XX:+EnableJVMCI");
        jvm.add("-XX:-UseJVMCICompiler");
        jvm.add("-Xss10m");
        jvm.add("-XX:+UseParallelGC");
        jvm.add("-Djava.awt.headless=true");
        jvm.add("-Dorg.graalvm.vendor=GraalVM Community");
        jvm.add("-Dorg.graalvm.version=" + version(compiler));
        // Quarkus reads the builder's release from this (io.quarkus.runtime.graal.GraalVM$Version) while it
        // initialises classes at build time; the driver sets it.
        jvm.add("-Dorg.graalvm.vendorversion=GraalVM CE " + version(compiler));
        jvm.add("-Dcom.oracle.graalvm.isaot=true");
        jvm.add("-Djava.system.class.loader=com.oracle.svm.hosted.NativeImageSystemClassLoader");
        jvm.add("-Dorg.graalvm.nativeimage.imagecode=buildtime");
        jvm.add("-Xshare:off");
        jvm.add("--add-modules=ALL-DEFAULT");
        jvm.add("--enable-native-access=" + String.join(",", builderModules));
        // The builder reaches into the JDK's internals (JVMCI, the class file and module internals, sun.*):
        // a GraalVM distribution's driver passes a fixed list; here every package a system module does not
        // export is exported to the builder's modules.
        for (ModuleReference ref : ModuleFinder.ofSystem().findAll()) {
            ModuleDescriptor descriptor = ref.descriptor();
            TreeSet<String> open = new TreeSet<>();
            descriptor.exports().stream().filter(e -> !e.isQualified()).forEach(e -> open.add(e.source()));
            for (String pkg : new TreeSet<>(descriptor.packages())) {
                if (!open.contains(pkg)) {
                    jvm.add("--add-exports=" + descriptor.name() + "/" + pkg + "=" + String.join(",", builderModules));
                }
            }
        }
        jvm.addAll(t.javaArgs());
        jvm.add("--module-path");
        jvm.add(join(builderJars));
        // The JDK's own jdk.graal.compiler module is an empty placeholder in builds without Graal: the
        // compiler from Maven replaces it.
        jvm.add("--upgrade-module-path");
        jvm.add(compiler.toString());
        jvm.add("--module");
        jvm.add(BUILDER_MODULE + "/com.oracle.svm.hosted.NativeImageGeneratorRunner");

        List<String> builder = new ArrayList<>();
        builder.add("-imagecp");
        builder.add(join(t.classpath()));
        builder.add("-H:Path=" + work.toAbsolutePath());
        builder.add("-H:CLibraryPath=" + javaHome.resolve("lib/svm/clibraries/linux-amd64"));
        builder.addAll(t.builderArgs());
        // The driver derives the build's id from its arguments; so does this.
        builder.add("-H:ImageBuildID=" + UUID.nameUUIDFromBytes(String.join(" ", quarkusArgs).getBytes(StandardCharsets.UTF_8)));
        builder.add("-H:+UnlockExperimentalVMOptions");
        // Stop after writing the object file: the link needs the JDK's static libraries and GraalVM's C
        // libraries, which only a GraalVM or Mandrel distribution has.
        builder.add("-H:+ExitAfterRelocatableImageWrite");
        builder.add("-H:-UnlockExperimentalVMOptions");
        builder.addAll(List.of(System.getenv().getOrDefault("NATIVE_CHECK_BUILDER_ARGS", "").split(" ")).stream()
                .filter(s -> !s.isBlank()).toList());

        Path jvmFile = work.resolve("builder-jvm.args");
        Path builderFile = work.resolve("builder.args");
        Files.write(jvmFile, jvm.stream().map(NativeCheck::quote).toList());
        Files.write(builderFile, builder);
        List<String> command = new ArrayList<>(List.of(javaHome.resolve("bin/java").toString(), "@" + jvmFile));
        for (String a : System.getenv().getOrDefault("NATIVE_CHECK_JAVA_OPTS", "").split(" ")) {
            if (!a.isBlank()) {
                command.add(1, a);
            }
        }
        // The builder exits when this file goes, as with the driver: this process's own procfs entry.
        command.add("-keepalive");
        command.add("/proc/" + ProcessHandle.current().pid() + "/comm");
        command.addAll(builder);
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("USE_NATIVE_IMAGE_JAVA_PLATFORM_MODULE_SYSTEM", "true");
        pb.environment().put("DRIVER_TEMP_DIR_ENV_VARIABLE", Files.createDirectories(work.resolve("tmp")).toString());
        pb.environment().put("NO_COLOR", "1");
        Process process = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter log = new PrintWriter(Files.newBufferedWriter(work.resolve("builder.log")))) {
            String line;
            while ((line = out.readLine()) != null) {
                System.out.println(line);
                log.println(line);
            }
        }
        return process.waitFor();
    }

    /** Lowers driver options to builder options, adding class path entries and JVM options to t. */
    private static void translate(List<String> args, Path dir, Translation t, String origin) throws IOException {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.isEmpty()) {
                continue;
            }
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : "";
            if (arg.startsWith("-J")) {
                t.javaArgs().add(arg.substring(2));
            } else if (arg.startsWith("-H:")) {
                t.builderArgs().add(arg);
            } else if (arg.equals("-jar")) {
                Path jar = dir.resolve(args.get(++i));
                t.classpath().add(jar);
                try (JarFile file = new JarFile(jar.toFile())) {
                    var attributes = file.getManifest().getMainAttributes();
                    t.builderArgs().add("-H:Class=" + attributes.getValue("Main-Class"));
                    // The driver honours the jar's Add-Opens and Add-Exports as java -jar does (Quarkus writes
                    // Add-Opens: java.base/java.lang, which jboss-threads needs), in the builder and the image.
                    for (String kind : List.of("Add-Opens", "Add-Exports")) {
                        String packages = attributes.getValue(kind);
                        for (String pkg : packages == null ? new String[0] : packages.trim().split(" +")) {
                            String option = kind.equals("Add-Opens") ? "AddOpens" : "AddExports";
                            t.javaArgs().add("--" + kind.toLowerCase() + "=" + pkg + "=ALL-UNNAMED");
                            t.builderArgs().add("-H:" + option + "=" + pkg + "=ALL-UNNAMED");
                        }
                    }
                    String classPath = attributes.getValue("Class-Path");
                    if (classPath != null) {
                        for (String entry : classPath.trim().split(" +")) {
                            t.classpath().add(jar.getParent().resolve(entry));
                        }
                    }
                }
            } else if (arg.equals("--exclude-config")) {
                t.excluded().add(new Pattern[] {Pattern.compile(args.get(++i)), Pattern.compile(args.get(++i))});
            } else if (arg.equals("--no-fallback")) {
                t.builderArgs().add("-H:FallbackThreshold=0");
            } else if (name.equals("--initialize-at-build-time") || name.equals("--initialize-at-run-time")) {
                String suffix = name.endsWith("build-time") ? ":build_time" : ":run_time";
                List<String> items = new ArrayList<>();
                for (String item : value.split(",", -1)) {
                    items.add(item + suffix);
                }
                t.builderArgs().add("-H:ClassInitialization=" + String.join(",", items));
            } else if (API_OPTIONS.containsKey(name)) {
                t.builderArgs().add(API_OPTIONS.get(name) + "=" + value);
            } else if (!arg.startsWith("-") && i == args.size() - 3 && args.get(i + 1).equals("-jar")) {
                t.builderArgs().add("-H:Name=" + arg); // the image name, before -jar
            } else if (!arg.startsWith("-") && i == args.size() - 1 && origin.equals("native-image.args")) {
                t.builderArgs().add("-H:Name=" + arg);
            } else {
                throw new IllegalArgumentException("native-check does not know the native-image option '" + arg
                        + "' (from " + origin + "): add its builder equivalent to image/NativeCheck.java");
            }
        }
    }

    /** What the driver does with META-INF/native-image/** of each class path entry. */
    private static void metaInf(Path jar, Translation t) throws IOException {
        if (!Files.isRegularFile(jar)) {
            return;
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            for (ZipEntry entry : file.stream().toList()) {
                String name = entry.getName();
                if (!name.startsWith("META-INF/native-image/") || entry.isDirectory()) {
                    continue;
                }
                String resource = "/" + name;
                boolean excluded = t.excluded().stream()
                        .anyMatch(p -> p[0].matcher(jar.toString()).find() && p[1].matcher(resource).find());
                if (excluded) {
                    continue;
                }
                String fileName = name.substring(name.lastIndexOf('/') + 1);
                if (fileName.equals("native-image.properties")) {
                    Properties properties = new Properties();
                    properties.load(file.getInputStream(entry));
                    String origin = jar.getFileName() + "!" + resource;
                    for (String key : properties.stringPropertyNames()) {
                        String value = properties.getProperty(key).trim();
                        switch (key) {
                            case "Args" -> translate(List.of(value.split("\\s+")), jar.getParent(), t, origin);
                            case "JavaArgs" -> t.javaArgs().addAll(List.of(value.split("\\s+")));
                            default -> throw new IllegalArgumentException("native-check does not know the key " + key + " in " + origin);
                        }
                    }
                } else if (META_INF_FILES.containsKey(fileName)) {
                    t.builderArgs().add(META_INF_FILES.get(fileName) + "=" + name);
                }
            }
        }
    }

    private static String version(Path compilerJar) {
        Matcher m = Pattern.compile("compiler-(.*)\\.jar").matcher(compilerJar.getFileName().toString());
        return m.matches() ? m.group(1) : "unknown";
    }

    private static String join(List<Path> paths) {
        return String.join(":", paths.stream().map(Path::toString).toList());
    }

    /** A JVM argument file's quoting: spaces need quotes. */
    private static String quote(String arg) {
        return arg.contains(" ") ? "\"" + arg.replace("\\", "\\\\").replace("\"", "\\\"") + "\"" : arg;
    }
}
