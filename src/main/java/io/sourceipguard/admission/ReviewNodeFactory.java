package io.sourceipguard.admission;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Jackson's node factory, with each object's fields in a {@link FieldMap}: the trees of decoded reviews. */
final class ReviewNodeFactory extends JsonNodeFactory {

    private static final long serialVersionUID = 1L;

    ReviewNodeFactory() {
        super(false);
    }

    @Override
    public ObjectNode objectNode() {
        return new ObjectNode(this, new FieldMap());
    }
}
