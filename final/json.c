/*
 * runt (final): walking a config.json with json-c.
 *
 * Every object of the spec is read through a table of its fields
 * (parse_fields): a field with a parser is honoured; a field of the spec
 * that runt does not implement, or a name that is not in the spec at all,
 * is refused by its path ("linux.intelRdt"), unless it is empty. A user
 * must never believe that a limit or a mask holds when it does not.
 */
#include "oci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void child_path(char *out, size_t size, const char *path, const char *name)
{
    snprintf(out, size, "%s%s%s", path, path[0] ? "." : "", name);
}

void index_path(char *out, size_t size, const char *path, size_t i)
{
    snprintf(out, size, "%s[%zu]", path, i);
}

/* null, false, 0, "", [] and {}: a field that says nothing, whatever runt supports. */
static bool is_empty(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return true;
    case json_type_boolean:
        return !json_object_get_boolean(v);
    case json_type_int:
        return json_object_get_int64(v) == 0;
    case json_type_string:
        return json_object_get_string_len(v) == 0;
    case json_type_array:
        return json_object_array_length(v) == 0;
    case json_type_object:
        return json_object_object_length(v) == 0;
    default:
        return false;
    }
}

int parse_fields(json_object *o, const char *path, const struct field *fields, struct bundle *b,
                 struct runt_err *err)
{
    if (want_type(o, json_type_object, path, err) < 0)
        return -1;
    json_object_object_foreach(o, key, v)
    {
        const struct field *f = fields;
        char sub[256];

        while (f->name != NULL && strcmp(f->name, key) != 0)
            f++;
        child_path(sub, sizeof(sub), path, key);
        if (f->name == NULL && !is_empty(v))
            return runt_fail(err, 0, "config.json: %s: not a field runt knows (a typo?)", sub);
        if (f->name != NULL && f->parse == NULL && !is_empty(v))
            return runt_fail(err, 0, "config.json: %s: not supported by runt", sub);
        if (f->parse != NULL && json_object_get_type(v) != json_type_null &&
            f->parse(v, sub, b, err) < 0)
            return -1;
    }
    return 0;
}

/* Memory that lives as long as the bundle: arrays of pointers, paths made absolute. */
void *bundle_alloc(struct bundle *b, size_t size, struct runt_err *err)
{
    void **owned = realloc(b->owned, (b->n_owned + 1) * sizeof(*owned));
    void *p = calloc(1, size);

    if (owned != NULL)
        b->owned = owned;
    if (owned == NULL || p == NULL) {
        free(p);
        runt_fail(err, ENOMEM, "config.json");
        return NULL;
    }
    b->owned[b->n_owned++] = p;
    return p;
}

static const char *type_name(json_type type)
{
    switch (type) {
    case json_type_boolean:
        return "true or false";
    case json_type_int:
        return "a whole number";
    case json_type_string:
        return "a string";
    case json_type_array:
        return "an array";
    case json_type_object:
        return "an object";
    default:
        return "a number";
    }
}

int want_type(json_object *v, json_type type, const char *path, struct runt_err *err)
{
    if (json_object_get_type(v) != type)
        return runt_fail(err, 0, "config.json: %s: must be %s", path, type_name(type));
    return 0;
}

int oci_string(json_object *v, const char *path, const char **out, struct runt_err *err)
{
    if (want_type(v, json_type_string, path, err) < 0)
        return -1;
    *out = json_object_get_string(v);
    return 0;
}

int oci_bool(json_object *v, const char *path, bool *out, struct runt_err *err)
{
    if (want_type(v, json_type_boolean, path, err) < 0)
        return -1;
    *out = json_object_get_boolean(v);
    return 0;
}

int oci_int(json_object *v, const char *path, long long min, long long max, long long *out,
            struct runt_err *err)
{
    if (want_type(v, json_type_int, path, err) < 0)
        return -1;
    /* json-c keeps a number above INT64_MAX as unsigned: it is above any max here. */
    errno = 0;
    *out = json_object_get_int64(v);
    if (errno == ERANGE || *out < min || *out > max)
        return runt_fail(err, 0, "config.json: %s: %s is not between %lld and %lld", path,
                         json_object_get_string(v), min, max);
    return 0;
}

/* Seccomp's values are 64-bit unsigned: json-c reads those above INT64_MAX as such. */
int oci_u64(json_object *v, const char *path, uint64_t *out, struct runt_err *err)
{
    if (want_type(v, json_type_int, path, err) < 0)
        return -1;
    if (json_object_get_int64(v) < 0)
        return runt_fail(err, 0, "config.json: %s: must not be negative", path);
    *out = json_object_get_uint64(v);
    return 0;
}

/* An array of strings, as a NULL-terminated array owned by the bundle. */
int oci_strings(json_object *v, const char *path, struct bundle *b, const char ***out, size_t *n,
                struct runt_err *err)
{
    size_t len;
    const char **list;

    if (want_type(v, json_type_array, path, err) < 0)
        return -1;
    len = json_object_array_length(v);
    list = bundle_alloc(b, (len + 1) * sizeof(*list), err);
    if (list == NULL)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char sub[256];

        index_path(sub, sizeof(sub), path, i);
        if (oci_string(json_object_array_get_idx(v, i), sub, &list[i], err) < 0)
            return -1;
    }
    *out = list;
    if (n != NULL)
        *n = len;
    return 0;
}
