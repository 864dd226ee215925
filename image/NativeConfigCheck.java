import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;

/**
 * Checks the native-image configuration against the class path it will be compiled with: every class, field and
 * method that reflect-config.json names exists, every resource and bundle that resource-config.json names is there.
 * A typo or a renamed class would otherwise only show when the native executable runs.
 *   java -cp CLASSPATH image/NativeConfigCheck.java reflect-config.json resource-config.json
 */
public final class NativeConfigCheck {

    private NativeConfigCheck() {
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ClassLoader loader = NativeConfigCheck.class.getClassLoader();
        int classes = 0;
        int members = 0;
        for (JsonNode entry : json.readTree(Files.readString(Path.of(args[0])))) {
            Class<?> type = Class.forName(entry.get("name").asText(), false, loader);
            classes++;
            for (JsonNode field : entry.path("fields")) {
                type.getDeclaredField(field.get("name").asText());
                members++;
            }
            for (JsonNode method : entry.path("methods")) {
                List<Class<?>> parameters = new ArrayList<>();
                for (JsonNode parameter : method.path("parameterTypes")) {
                    parameters.add(type(parameter.asText(), loader));
                }
                type.getDeclaredMethod(method.get("name").asText(), parameters.toArray(new Class<?>[0]));
                members++;
            }
        }
        JsonNode resources = json.readTree(Files.readString(Path.of(args[1])));
        int found = 0;
        for (JsonNode include : resources.path("resources").path("includes")) {
            String pattern = include.get("pattern").asText();
            String name = pattern.replaceAll("^\\\\Q|\\\\E$", "");
            if (loader.getResource(name) == null) {
                throw new IllegalStateException("resource " + name + " is not on the class path");
            }
            found++;
        }
        for (JsonNode bundle : resources.path("bundles")) {
            ResourceBundle.getBundle(bundle.get("name").asText());
            found++;
        }
        System.out.println("native config: " + classes + " classes and " + members + " fields/methods resolve; "
                + found + " resources/bundles found");
    }

    private static Class<?> type(String name, ClassLoader loader) throws ClassNotFoundException {
        if (name.endsWith("[]")) {
            return type(name.substring(0, name.length() - 2), loader).arrayType();
        }
        return Class.forName(name, false, loader);
    }
}
